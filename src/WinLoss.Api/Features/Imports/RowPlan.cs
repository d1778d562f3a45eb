using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FluentValidation;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Imports;

/// <summary>A CRM row mapped to a report: its line, the report body, the rep's name, and a hash of the mapped values.</summary>
public sealed record Parsed(long Line, ReportInput Input, string RepName, byte[] Hash);

/// <summary>
/// A mapping bound to one file's header and the uploaded lookups: column indexes resolved once,
/// then <see cref="Parse"/> turns each record into a report body (or errors, or "open deal").
/// </summary>
public sealed class RowPlan
{
    private readonly CrmMapping _mapping;
    private readonly int _columns;
    private readonly Dictionary<FieldMap, Source> _sources = new(ReferenceEqualityComparer.Instance);

    private sealed record Source(int Column, Dictionary<string, string[]>? Lookup, int LookupColumn);

    public RowPlan(CrmMapping mapping, string[] header, IReadOnlyDictionary<string, LookupFile> lookups)
    {
        _mapping = mapping;
        _columns = header.Length;
        var indexes = new Dictionary<string, Dictionary<string, string[]>>(StringComparer.Ordinal);
        foreach (var (name, map) in mapping.Fields())
        {
            if (map.Value is not null) { _sources[map] = new Source(-1, null, -1); continue; }
            if (map.Lookup is null)
            {
                _sources[map] = new Source(ColumnIndex(header, map.Column!, $"mapping.{name}.column", "the file"), null, -1);
                continue;
            }
            var lookup = lookups[map.Lookup];
            if (!indexes.TryGetValue(map.Lookup, out var index))
            {
                var key = mapping.Lookups![map.Lookup].Key!;
                var keyColumn = ColumnIndex(lookup.Header.ToArray(), key, $"mapping.lookups.{map.Lookup}.key", $"lookup.{map.Lookup}");
                index = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
                foreach (var row in lookup.Rows)
                    if (keyColumn < row.Length && row[keyColumn].Trim() is { Length: > 0 } k) index.TryAdd(k, row);
                indexes[map.Lookup] = index;
            }
            _sources[map] = new Source(
                ColumnIndex(header, map.On!, $"mapping.{name}.on", "the file"), index,
                ColumnIndex(lookup.Header.ToArray(), map.Column!, $"mapping.{name}.column", $"lookup.{map.Lookup}"));
        }
    }

    private static int ColumnIndex(string[] header, string column, string field, string where)
    {
        var i = Array.FindIndex(header, h => h == column);
        if (i < 0) i = Array.FindIndex(header, h => string.Equals(h.Trim(), column.Trim(), StringComparison.OrdinalIgnoreCase));
        if (i < 0)
            throw Invalid.Field(field, $"No column '{column}' in {where}. Its header has: {string.Join(", ", header.Take(50))}.");
        return i;
    }

    /// <summary>The raw cell for a field (before value mapping), trimmed, null when empty or absent.</summary>
    private string? Raw(FieldMap? map, IReadOnlyList<string> record)
    {
        if (map is null) return null;
        if (map.Value is not null) return map.Value;
        var source = _sources[map];
        if (source.Column >= record.Count) return null;
        var cell = record[source.Column];
        if (source.Lookup is not null)
        {
            var key = cell.Trim();
            if (key.Length == 0 || !source.Lookup.TryGetValue(key, out var row) || source.LookupColumn >= row.Length) return null;
            cell = row[source.LookupColumn];
        }
        var trimmed = cell.Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }

    /// <summary>Raw cell mapped through the field's values; empty → null.</summary>
    private string? Value(FieldMap? map, IReadOnlyList<string> record) => Clean(map?.Translate(Raw(map, record)));

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public Parsed? Parse(IReadOnlyList<string> record, long line, ReportInputValidator validator, out bool open, out List<ImportError> errors)
    {
        open = false;
        errors = [];
        var m = _mapping;

        // A row that is not a row of this file (shifted by unquoted commas, cut, binary junk) is an error, never an "open deal".
        if (record.Count != _columns)
        {
            errors.Add(new ImportError(line, "file",
                $"This row has {record.Count} fields; the header has {_columns}. Quote fields that contain commas."));
            return null;
        }
        // Bytes that were not UTF-8 (a Latin-1 or Windows-1252 export) were decoded as U+FFFD: say so instead of storing it.
        foreach (var (name, map) in m.Fields())
            if (Raw(map, record) is { } cell && cell.Contains('\uFFFD', StringComparison.Ordinal))
                errors.Add(new ImportError(line, name,
                    "Contains bytes that are not UTF-8 (or the character U+FFFD). Save the export as UTF-8 and import it again."));
        var dealId = ReportRules.NormalizeDealId(Raw(m.DealId, record) is { } deal ? m.DealId!.Translate(deal) : null);
        if (string.IsNullOrEmpty(dealId) && !errors.Any(e => e.Field == "dealId"))
            errors.Add(new ImportError(line, "dealId", "dealId is required: every row needs the CRM's opportunity id."));
        if (errors.Count > 0) return null;

        var rawOutcome = Raw(m.Outcome, record);
        if (rawOutcome is null || !m.Outcome!.Maps(rawOutcome, out var outcome) || outcome is null) { open = true; return null; }

        string? closedOn = null;
        var rawClosed = Value(m.ClosedOn, record);
        var format = m.ClosedOn!.Format ?? "yyyy-MM-dd";
        if (rawClosed is null) errors.Add(new ImportError(line, "closedOn", "closedOn is required for a closed deal."));
        else if (DateOnly.TryParseExact(rawClosed, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            closedOn = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        else errors.Add(new ImportError(line, "closedOn", $"'{Trunc(rawClosed)}' is not a date in the format {format}."));

        decimal? amount = null;
        var rawAmount = Value(m.Amount, record);
        if (rawAmount is not null)
        {
            if (TryParseAmount(rawAmount, m.Amount!.DecimalSeparator is "," ? ',' : '.', out var a, out var problem)) amount = a;
            else errors.Add(new ImportError(line, "amount", $"'{Trunc(rawAmount)}' {problem}"));
        }

        var rep = Value(m.Rep, record);
        if (rep is null) errors.Add(new ImportError(line, "rep", "rep is required: the sales rep's name."));
        else if (rep.Length > 100 || !ReportRules.IsSingleLine(rep)) errors.Add(new ImportError(line, "rep", "rep must be a name of at most 100 characters."));

        var competitors = Many(m.Competitor, record)
            .Select((name, i) => (CompetitorInput?)new CompetitorInput { Name = name, Primary = i == 0 ? true : null }).ToList();
        var reasonDetail = Value(m.ReasonDetail, record);
        var reasons = Many(m.Reason, record)
            .Select((category, i) => (ReasonInput?)new ReasonInput { Category = category, Primary = i == 0 ? true : null, Detail = i == 0 ? reasonDetail : null })
            .ToList();

        var input = new ReportInput
        {
            DealId = dealId,
            Outcome = outcome,
            ClosedOn = closedOn ?? "2000-01-01",
            Amount = amount,
            Currency = Value(m.Currency, record),
            Segment = Value(m.Segment, record),
            StageReached = Value(m.Stage, record),
            Region = Value(m.Region, record),
            Industry = Value(m.Industry, record),
            Product = Value(m.Product, record),
            AccountName = Value(m.Account, record),
            Competitors = m.Competitor is null ? null : competitors,
            Reasons = m.Reason is null ? null : reasons,
            LeadSource = Value(m.LeadSource, record),
            Notes = Value(m.Notes, record),
        };

        var context = new ValidationContext<ReportInput>(input);
        context.RootContextData[ReportInputValidator.CrmImportContextKey] = true;
        foreach (var failure in validator.Validate(context).Errors)
        {
            var field = FieldOf(failure.PropertyName);
            if (field == "closedOn" && closedOn is null) continue;
            if (errors.Any(e => e.Field == field)) continue;
            errors.Add(new ImportError(line, field, failure.ErrorMessage));
        }
        if (errors.Count > 0) return null;

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(input, JsonBody.Options) + "\n" + rep));
        return new Parsed(line, input, rep!, hash);
    }

    /// <summary>
    /// A CRM amount, strictly: optional sign, digits, at most one decimal separator, and group separators only between
    /// groups of three digits ("1,234,567.50"; with a decimal comma "1.234.567,50" or "1 234 567,50"). "12,50" and
    /// "1,2,3,4" under a decimal point are errors, not 1,250 and 1,234.
    /// </summary>
    public static bool TryParseAmount(string raw, char decimalSeparator, out decimal amount, out string problem)
    {
        amount = 0;
        problem = "is not a number.";
        var text = raw.Trim();
        var sign = "";
        if (text.Length > 0 && text[0] is '-' or '+') { sign = text[0] == '-' ? "-" : ""; text = text[1..]; }
        var at = text.IndexOf(decimalSeparator);
        if (at != text.LastIndexOf(decimalSeparator)) { problem = $"has more than one decimal separator '{decimalSeparator}'."; return false; }
        var whole = at < 0 ? text : text[..at];
        var fraction = at < 0 ? "" : text[(at + 1)..];
        if (at >= 0 && (fraction.Length == 0 || !fraction.All(char.IsAsciiDigit))) return false;
        var groups = decimalSeparator == ',' ? ". \u00A0\u202F'" : ", \u00A0\u202F'";
        var separators = whole.Where(ch => groups.Contains(ch)).Distinct().ToList();
        string digits;
        if (separators.Count == 0)
        {
            if (whole.Length == 0 || !whole.All(char.IsAsciiDigit)) return false;
            digits = whole;
        }
        else
        {
            var parts = whole.Split(separators.Count == 1 ? separators[0] : '\0');
            var wellGrouped = separators.Count == 1
                && parts[0].Length is >= 1 and <= 3 && parts.Skip(1).All(p => p.Length == 3)
                && parts.All(p => p.All(char.IsAsciiDigit));
            if (!wellGrouped)
            {
                var other = decimalSeparator == '.' ? ',' : '.';
                problem = separators.Contains(other)
                    ? $"has a misplaced group separator '{other}' (groups are 3 digits). If '{other}' is the decimal separator, set \"decimalSeparator\": \"{other}\" on mapping.amount."
                    : "has misplaced group separators (groups are 3 digits).";
                return false;
            }
            digits = string.Concat(parts);
        }
        if (!decimal.TryParse(sign + digits + (fraction.Length > 0 ? "." + fraction : ""), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                CultureInfo.InvariantCulture, out amount))
        {
            problem = "is out of range.";
            return false;
        }
        return true;
    }

    private IEnumerable<string> Many(FieldMap? map, IReadOnlyList<string> record)
    {
        var raw = Raw(map, record);
        if (map is null || raw is null) return [];
        var parts = map.Separator is { } sep ? raw.Split(sep, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [raw];
        return parts.Select(p => Clean(map.Translate(p))).OfType<string>().ToList();
    }

    /// <summary>A report field path from the validator → the mapping field it came from.</summary>
    public static string FieldOf(string propertyName)
    {
        var path = ProblemDetailsExceptionHandler.ToCamelPath(propertyName);
        if (path.StartsWith("competitors", StringComparison.Ordinal)) return "competitor";
        if (path.StartsWith("reasons", StringComparison.Ordinal)) return path.EndsWith(".detail", StringComparison.Ordinal) ? "reasonDetail" : "reason";
        return path switch
        {
            "accountName" => "account",
            "stageReached" => "stage",
            _ => path,
        };
    }

    /// <summary>
    /// A changed CRM row applied to the report's current version: fields the CRM row has take the CRM's values;
    /// empty cells and unmapped fields never erase what is stored (competitors, reasons, objections, messages...
    /// added in WinLoss stay).
    /// </summary>
    public static ReportInput Overlay(ReportInput current, ReportInput crm) => current with
    {
        DealId = crm.DealId,
        Outcome = crm.Outcome,
        ClosedOn = crm.ClosedOn,
        Amount = crm.Amount ?? current.Amount,
        Currency = crm.Amount is not null ? crm.Currency : current.Currency,
        Segment = crm.Segment ?? current.Segment,
        StageReached = crm.StageReached ?? current.StageReached,
        Region = crm.Region ?? current.Region,
        Industry = crm.Industry ?? current.Industry,
        Product = crm.Product ?? current.Product,
        AccountName = crm.AccountName ?? current.AccountName,
        Competitors = crm.Competitors is { Count: > 0 } ? crm.Competitors : current.Competitors,
        Reasons = crm.Reasons is { Count: > 0 } ? crm.Reasons : current.Reasons,
        LeadSource = crm.LeadSource ?? current.LeadSource,
        Notes = crm.Notes ?? current.Notes,
        RepId = null,
    };

    private static string Trunc(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
