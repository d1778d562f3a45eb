using System.Text.Json;
using System.Text.Json.Serialization;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// Source-generated writers for the filed report (the 201 body, stored with its Idempotency-Key by the single
/// writer) and for the version snapshot of the input: the generated serializer writes the properties straight to the
/// UTF-8 writer instead of walking reflection metadata. Same output as <see cref="Infrastructure.Http.JsonBody.Options"/>
/// (web defaults: camelCase, nulls written); tests compare the two byte for byte.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(ReportDto))]
[JsonSerializable(typeof(ReportInput))]
public sealed partial class ReportJson : JsonSerializerContext
{
    public static byte[] Utf8(ReportDto report) => JsonSerializer.SerializeToUtf8Bytes(report, Default.ReportDto);
    public static byte[] Utf8(ReportInput input) => JsonSerializer.SerializeToUtf8Bytes(input, Default.ReportInput);
}
