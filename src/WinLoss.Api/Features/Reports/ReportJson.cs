using System.Text.Json;
using System.Text.Json.Serialization;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// Source-generated writer for a report as stored: each version's snapshot in report_versions, and for version 1 also
/// the 201 body (sent as is, and replayed byte for byte for its Idempotency-Key). The generated serializer writes the
/// properties straight to the UTF-8 writer instead of walking reflection metadata, on the single writer's thread. Same
/// output as <see cref="Infrastructure.Http.JsonBody.Options"/> (web defaults: camelCase, nulls written); tests compare
/// the two byte for byte.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(ReportDto))]
public sealed partial class ReportJson : JsonSerializerContext
{
    public static byte[] Utf8(ReportDto report) => JsonSerializer.SerializeToUtf8Bytes(report, Default.ReportDto);

    /// <summary>
    /// Reads a version snapshot as the input fields it holds: snapshots written since migration 0060 are the stored report
    /// (its id, resolved competitor ids and timestamps are skipped), older ones the request body as sent (read ignoring
    /// case, as request bodies were before names became case-sensitive).
    /// </summary>
    public static ReportInput ReadVersion(string body) => JsonSerializer.Deserialize<ReportInput>(body, VersionReadOptions)!;

    private static readonly JsonSerializerOptions VersionReadOptions =
        new(Infrastructure.Http.JsonBody.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip, PropertyNameCaseInsensitive = true };
}
