using System.Text.Json;
using System.Text.Json.Serialization;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Infrastructure.Http;

/// <summary>
/// Reads a JSON request body strictly: application/json only (415), a byte limit (413), unknown
/// properties and wrong types rejected as 400 naming the JSON path. Property names match exactly
/// (camelCase): "DEALID" is an unknown property, not dealId. A number that the type cannot hold exactly
/// enough (1e400, or 1e-400 which would become 0) is a 400 too. Returns the raw bytes too (for idempotency hashing).
/// </summary>
public static class JsonBody
{
    public const int DefaultLimit = 64 * 1024;

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            MaxDepth = 16,
            AllowTrailingCommas = false,
            AllowDuplicateProperties = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            NumberHandling = JsonNumberHandling.Strict,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            PropertyNameCaseInsensitive = false,
        };
        options.Converters.Add(new StrictDecimalConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static async Task<(T Value, byte[] Raw)> ReadAsync<T>(HttpRequest request, int limit = DefaultLimit, CancellationToken cancellationToken = default)
        where T : class
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase))
            throw new UnsupportedMediaTypeException("Send the body as application/json.");
        if (request.ContentLength > limit)
            throw new PayloadTooLargeException($"The body may be at most {limit} bytes.");

        var raw = await ReadLimitedAsync(request.Body, limit, cancellationToken);
        if (raw.Length == 0) throw Invalid.Field("$", "A JSON body is required.");
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(raw, Options);
        }
        catch (JsonException ex)
        {
            throw Invalid.JsonPath(PathOf(ex.Path), Describe(ex));
        }
        return value is null ? throw Invalid.Field("$", "A JSON object is required.") : (value, raw);
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit) throw new PayloadTooLargeException($"The body may be at most {limit} bytes.");
        }
        return buffer.ToArray();
    }

    /// <summary>"$.objections[2].category" → "objections[2].category"; "$" stays "$".</summary>
    public static string PathOf(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$") return "$";
        return jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
    }

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        if (message.StartsWith(StrictDecimalConverter.Prefix, StringComparison.Ordinal))
        {
            var end = message.IndexOf(" Path:", StringComparison.Ordinal);
            return end < 0 ? message[StrictDecimalConverter.Prefix.Length..] : message[StrictDecimalConverter.Prefix.Length..end];
        }
        if (message.Contains("could not be mapped", StringComparison.Ordinal)) return "Unknown property.";
        if (message.Contains("maximum configured depth", StringComparison.Ordinal)) return "The JSON is nested too deeply.";
        if (message.Contains("could not be converted", StringComparison.Ordinal)) return "Wrong type for this field.";
        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)) return "This property appears more than once.";
        return "Malformed JSON.";
    }
}

/// <summary>
/// Decimals read strictly: a literal outside decimal's range is a 400 (not "wrong type"), and a non-zero literal that
/// decimal would round to 0 (1e-400, 0.000...0001 past 28 places) is a 400 instead of silently becoming 0.
/// </summary>
public sealed class StrictDecimalConverter : JsonConverter<decimal>
{
    public const string Prefix = "Invalid number: ";

    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number) throw new JsonException(Prefix + "a number is expected here.");
        var raw = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray();
        if (!reader.TryGetDecimal(out var value))
            throw new JsonException(Prefix + "the number is out of range.");
        if (value == 0 && HasNonZeroDigit(raw))
            throw new JsonException(Prefix + "the number is too small: it would be stored as 0. Send 0, or at most 2 decimal places.");
        return value;
    }

    /// <summary>Whether the mantissa (before any exponent) has a digit other than 0.</summary>
    private static bool HasNonZeroDigit(ReadOnlySpan<byte> literal)
    {
        foreach (var b in literal)
        {
            if (b is (byte)'e' or (byte)'E') return false;
            if (b is >= (byte)'1' and <= (byte)'9') return true;
        }
        return false;
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
