using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Imports;

/// <summary>
/// How the columns of a CRM export become report fields (the <c>mapping</c> part of POST /api/v1/imports/crm).
/// Every field is either a column name (string shorthand) or a <see cref="FieldMap"/> object. Required:
/// dealId, outcome (with <c>values</c>: CRM stage → won | lost | no_decision; any other value is an open deal, skipped),
/// closedOn (with <c>format</c>, default yyyy-MM-dd) and rep. Lookups name other uploaded CSVs (parts
/// <c>lookup.NAME</c>) and the column that keys them.
/// </summary>
public sealed record CrmMapping
{
    public FieldMap? DealId { get; init; }
    public FieldMap? Outcome { get; init; }
    public FieldMap? ClosedOn { get; init; }
    public FieldMap? Amount { get; init; }
    public FieldMap? Currency { get; init; }
    public FieldMap? Rep { get; init; }
    public FieldMap? Product { get; init; }
    public FieldMap? Account { get; init; }
    public FieldMap? Segment { get; init; }
    public FieldMap? Region { get; init; }
    public FieldMap? Industry { get; init; }
    public FieldMap? Stage { get; init; }
    public FieldMap? Competitor { get; init; }
    public FieldMap? Reason { get; init; }
    public FieldMap? ReasonDetail { get; init; }
    public FieldMap? LeadSource { get; init; }
    public FieldMap? Notes { get; init; }
    public Dictionary<string, LookupMap>? Lookups { get; init; }

    /// <summary>Every mapped field by its JSON name, in a fixed order.</summary>
    public IEnumerable<(string Name, FieldMap Map)> Fields()
    {
        (string, FieldMap?)[] all =
        [
            ("dealId", DealId), ("outcome", Outcome), ("closedOn", ClosedOn), ("amount", Amount), ("currency", Currency),
            ("rep", Rep), ("product", Product), ("account", Account), ("segment", Segment), ("region", Region),
            ("industry", Industry), ("stage", Stage), ("competitor", Competitor), ("reason", Reason),
            ("reasonDetail", ReasonDetail), ("leadSource", LeadSource), ("notes", Notes),
        ];
        foreach (var (name, map) in all)
            if (map is not null) yield return (name, map);
    }

    private const int MaxBytes = 256 * 1024;

    /// <summary>Parses the mapping part strictly (unknown properties are a 400 naming mapping.path).</summary>
    public static CrmMapping Parse(byte[] json)
    {
        if (json.Length > MaxBytes) throw new PayloadTooLargeException($"The mapping may be at most {MaxBytes} bytes.");
        try
        {
            return JsonSerializer.Deserialize<CrmMapping>(json, JsonBody.Options) ?? throw Invalid.Field("mapping", "The mapping must be a JSON object.");
        }
        catch (JsonException ex)
        {
            var path = JsonBody.PathOf(ex.Path);
            var message = ex.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "Unknown property."
                : ex.Message.Contains("could not be converted", StringComparison.Ordinal) ? "Wrong type for this field."
                : "Malformed JSON.";
            throw Invalid.Field(path == "$" ? "mapping" : "mapping." + path, message);
        }
    }
}

/// <summary>
/// One field: exactly one of <c>column</c> (a column of the main file), <c>value</c> (a fixed value for every row)
/// or <c>lookup</c> + <c>on</c> + <c>column</c> (take <c>column</c> from the lookup file's row whose key equals this
/// row's <c>on</c> column). Then optional <c>values</c> (exact, else case-insensitive, value → value; null = empty),
/// <c>format</c> (closedOn: a .NET date format such as M/d/yyyy), <c>separator</c> (competitor, reason: several in one cell)
/// and <c>decimalSeparator</c> (amount: "." by default, "," for European exports such as 1.234,50; group separators must
/// sit between groups of three digits, so 12,50 under "." is an error, not 1,250).
/// </summary>
[JsonConverter(typeof(FieldMapConverter))]
public sealed record FieldMap
{
    public string? Column { get; init; }
    public string? Value { get; init; }
    public string? Lookup { get; init; }
    public string? On { get; init; }
    public Dictionary<string, string?>? Values { get; init; }
    public string? Format { get; init; }
    public string? Separator { get; init; }
    public string? DecimalSeparator { get; init; }

    /// <summary>Maps a raw cell through <see cref="Values"/> (exact first, then ignoring case); unmapped values pass unchanged.</summary>
    public string? Translate(string? raw)
    {
        if (raw is null || Values is null) return raw;
        if (Values.TryGetValue(raw, out var exact)) return exact;
        foreach (var (k, v) in Values)
            if (string.Equals(k, raw, StringComparison.OrdinalIgnoreCase)) return v;
        return raw;
    }

    public bool Maps(string raw, out string? mapped)
    {
        mapped = null;
        if (Values is null) return false;
        if (Values.TryGetValue(raw, out mapped)) return true;
        foreach (var (k, v) in Values)
            if (string.Equals(k, raw, StringComparison.OrdinalIgnoreCase)) { mapped = v; return true; }
        return false;
    }
}

/// <summary>A lookup file (part <c>lookup.NAME</c>): <c>key</c> is its column matched against the main file's <c>on</c> column.</summary>
public sealed record LookupMap
{
    public string? Key { get; init; }
}

/// <summary>"column name" is shorthand for {"column": "column name"}.</summary>
public sealed class FieldMapConverter : JsonConverter<FieldMap>
{
    public override FieldMap? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new FieldMap { Column = reader.GetString() };
        if (reader.TokenType == JsonTokenType.Null) return null;
        var body = JsonSerializer.Deserialize<Body>(ref reader, options) ?? throw new JsonException("could not be converted");
        return new FieldMap
        {
            Column = body.Column, Value = body.Value, Lookup = body.Lookup, On = body.On, Values = body.Values,
            Format = body.Format, Separator = body.Separator, DecimalSeparator = body.DecimalSeparator,
        };
    }

    public override void Write(Utf8JsonWriter writer, FieldMap value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, new Body
        {
            Column = value.Column, Value = value.Value, Lookup = value.Lookup, On = value.On, Values = value.Values,
            Format = value.Format, Separator = value.Separator, DecimalSeparator = value.DecimalSeparator,
        }, options);

    public sealed record Body
    {
        public string? Column { get; init; }
        public string? Value { get; init; }
        public string? Lookup { get; init; }
        public string? On { get; init; }
        public Dictionary<string, string?>? Values { get; init; }
        public string? Format { get; init; }
        public string? Separator { get; init; }
        public string? DecimalSeparator { get; init; }
    }
}

/// <summary>Rules for the mapping itself (checked before any row is read); errors name mapping.field.</summary>
public sealed class CrmMappingValidator : AbstractValidator<CrmMapping>
{
    public CrmMappingValidator()
    {
        RuleFor(x => x).Custom((m, context) =>
        {
            void Fail(string path, string message) => context.AddFailure("mapping." + path, message);

            if (m.DealId is null) Fail("dealId", "dealId is required: the column holding the CRM's opportunity id.");
            if (m.Outcome is null) Fail("outcome", "outcome is required: {\"column\": \"...\", \"values\": {\"Won\": \"won\", \"Lost\": \"lost\"}}.");
            if (m.ClosedOn is null) Fail("closedOn", "closedOn is required: {\"column\": \"...\", \"format\": \"M/d/yyyy\"}.");
            if (m.Rep is null) Fail("rep", "rep is required: the column holding the sales rep's name (or a fixed value).");

            var lookups = m.Lookups ?? [];
            foreach (var (name, lookup) in lookups)
            {
                if (!IsName(name)) Fail($"lookups.{name}", "A lookup name is 1 to 64 letters, digits, '_' or '-'.");
                if (string.IsNullOrWhiteSpace(lookup?.Key)) Fail($"lookups.{name}.key", "key is required: the lookup file's column to match on.");
            }

            foreach (var (name, map) in m.Fields())
            {
                var sources = (map.Value is not null ? 1 : 0) + (map.Lookup is not null ? 1 : 0) + (map.Column is not null && map.Lookup is null ? 1 : 0);
                if (sources != 1)
                    Fail(name, "Give exactly one source: \"column\", \"value\", or \"lookup\" with \"on\" and \"column\".");
                if (map.Column is not null && string.IsNullOrWhiteSpace(map.Column)) Fail($"{name}.column", "column must not be empty.");
                if (map.Lookup is not null)
                {
                    if (!lookups.ContainsKey(map.Lookup)) Fail($"{name}.lookup", $"No lookup '{map.Lookup}' in mapping.lookups.");
                    if (string.IsNullOrWhiteSpace(map.On)) Fail($"{name}.on", "on is required with lookup: the column of the main file matched against the lookup's key.");
                    if (string.IsNullOrWhiteSpace(map.Column)) Fail($"{name}.column", "column is required with lookup: the lookup file's column to take.");
                }
                else if (map.On is not null) Fail($"{name}.on", "on is only used with lookup.");
                if (map.Format is not null && name != "closedOn") Fail($"{name}.format", "format applies to closedOn only.");
                if (map.Separator is not null && name is not ("competitor" or "reason")) Fail($"{name}.separator", "separator applies to competitor and reason only.");
                if (map.Separator is { Length: 0 }) Fail($"{name}.separator", "separator must not be empty.");
                if (map.DecimalSeparator is not null && name != "amount") Fail($"{name}.decimalSeparator", "decimalSeparator applies to amount only.");
                if (map.DecimalSeparator is not (null or "." or ",")) Fail($"{name}.decimalSeparator", "decimalSeparator must be \".\" or \",\".");
            }

            if (m.Outcome is { } outcome)
            {
                if (outcome.Values is null || outcome.Values.Count == 0)
                    Fail("outcome.values", "values is required: CRM values → won | lost | no_decision (other values are open deals and are skipped).");
                else
                    foreach (var (k, v) in outcome.Values)
                        if (v is not null && !ReportRules.Outcomes.Contains(v))
                            Fail($"outcome.values.{k}", "Each value must map to won, lost, no_decision (or null: open, skipped).");
            }
            if (m.ClosedOn?.Format is { } format)
            {
                var ok = format.Length is > 0 and <= 32;
                try { _ = new DateOnly(2024, 12, 31).ToString(format, CultureInfo.InvariantCulture); }
                catch (FormatException) { ok = false; }
                if (!ok) Fail("closedOn.format", "format must be a date format such as M/d/yyyy or yyyy-MM-dd.");
            }
            if (m.Currency?.Value is { } currency && !ReportRules.Currencies.Contains(currency))
                Fail("currency.value", "currency must be an ISO 4217 code in upper case, e.g. USD.");
        });
    }

    public static bool IsName(string name) =>
        name.Length is > 0 and <= 64 && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-');
}
