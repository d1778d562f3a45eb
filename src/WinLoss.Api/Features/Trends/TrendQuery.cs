using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure;
using System.Globalization;
using System.Text;
using Dapper;
using FluentValidation;
using Microsoft.Data.Sqlite;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Trends;

/// <summary>The query parameters every trend takes (contract section 5), as sent.</summary>
public sealed record TrendParameters
{
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Segment { get; init; }
    public string? Region { get; init; }
    public string? Product { get; init; }
    public string? Industry { get; init; }
    public string? Stage { get; init; }
    public string? Granularity { get; init; }
    public string? MinSample { get; init; }
    public string? Format { get; init; }

    /// <summary>Adds a failure naming the query parameter for each bad value.</summary>
    public static void Check(TrendParameters p, ValidationContext<object> context) => Check(p, (field, message) => context.AddFailure(field, message));

    public static void Check(TrendParameters p, Action<string, string> fail)
    {
        DateOnly from = default, to = default;
        var fromOk = p.From is null || ReportRules.TryParseDate(p.From, out from);
        var toOk = p.To is null || ReportRules.TryParseDate(p.To, out to);
        if (!fromOk) fail("from", "from must be a date YYYY-MM-DD.");
        if (!toOk) fail("to", "to must be a date YYYY-MM-DD.");
        if (fromOk && toOk && p.From is not null && p.To is not null && from > to) fail("to", "to must not be before from.");
        if (p.Segment is not null && !ReportRules.Segments.Contains(p.Segment)) fail("segment", "segment must be one of: smb, mid_market, enterprise.");
        if (p.Stage is not null && !ReportRules.Stages.Contains(p.Stage))
            fail("stage", "stage must be one of: qualification, discovery, demo, proposal, negotiation, closing.");
        foreach (var (name, value) in new[] { ("region", p.Region), ("product", p.Product), ("industry", p.Industry) })
            if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Trim().Length > 100 || !ReportRules.IsSingleLine(value)))
                fail(name, $"{name} must be 1 to 100 characters of text.");
        if (!Statistics.TryParseGranularity(p.Granularity, out _)) fail("granularity", "granularity must be one of: week, month, quarter.");
        if (p.MinSample is not null && (!int.TryParse(p.MinSample, NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m < 1 || m > 1_000_000))
            fail("minSample", "minSample must be an integer from 1 to 1000000.");
        if (p.Format is not null and not ("json" or "csv")) fail("format", "format must be json or csv.");
    }

    /// <summary>The parsed filter (call after <see cref="Check(TrendParameters, Action{string, string})"/> passed).</summary>
    public TrendFilter Parse()
    {
        Statistics.TryParseGranularity(Granularity, out var granularity);
        return new TrendFilter(
            From is null ? null : DateOnly.ParseExact(From, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            To is null ? null : DateOnly.ParseExact(To, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            Segment, Region?.Trim(), Product?.Trim(), Industry?.Trim(), Stage, granularity,
            MinSample is null ? 20 : int.Parse(MinSample, CultureInfo.InvariantCulture));
    }

    public bool IsCsv => Format == "csv";
}

/// <summary>Validated trend filter: date range on closedOn, at most one value per dimension, bucket size, minSample.</summary>
public sealed record TrendFilter(
    DateOnly? From, DateOnly? To, string? Segment, string? Region, string? Product, string? Industry, string? Stage,
    Granularity Granularity, int MinSample)
{
    /// <summary>The dimension filters that are set, as (dimension, slice value).</summary>
    public List<(string Dim, string Value, string Raw)> Dimensions()
    {
        var list = new List<(string, string, string)>();
        if (Segment is not null) list.Add(("segment", Segment, Segment));
        if (Region is not null) list.Add(("region", ReadModel.Fold(Region), Region));
        if (Product is not null) list.Add(("product", ReadModel.Fold(Product), Product));
        if (Industry is not null) list.Add(("industry", ReadModel.Fold(Industry), Industry));
        if (Stage is not null) list.Add(("stage", Stage, Stage));
        return list;
    }

    public string GranularityName => Granularity.ToString().ToLowerInvariant();
}

/// <summary>Summed counters per (bucket, kind, k1, k2, k3), bucket = period label at the query granularity.</summary>
public sealed class TrendData
{
    public Dictionary<(string Bucket, string Kind, string K1, string K2, string K3), long[]> Rows { get; } = new();

    public void Add(string bucket, string kind, string k1, string k2, string k3, long[] counters)
    {
        var key = (bucket, kind, k1, k2, k3);
        if (!Rows.TryGetValue(key, out var sum)) Rows[key] = sum = new long[ReadModel.Counters];
        for (var i = 0; i < ReadModel.Counters; i++) sum[i] += counters[i];
    }

    public void Merge(TrendData other)
    {
        foreach (var (key, counters) in other.Rows) Add(key.Bucket, key.Kind, key.K1, key.K2, key.K3, counters);
    }

    public IEnumerable<(string Bucket, string K1, string K2, string K3, long[] C)> Of(string kind) =>
        Rows.Where(r => r.Key.Kind == kind).Select(r => (r.Key.Bucket, r.Key.K1, r.Key.K2, r.Key.K3, r.Value));

    public IEnumerable<string> Buckets => Rows.Keys.Select(k => k.Bucket).Distinct().Order(StringComparer.Ordinal);
}

/// <summary>
/// Reads trend facts for a filter. Whole periods inside the range come from the read model (slice 0, or the
/// one slice of a single dimension filter); a period the range cuts (from/to inside it) is summed from the
/// reports of those days. Filters on two or more dimensions are answered from the reports (the read model
/// keeps one dimension per slice).
/// </summary>
public static class TrendReader
{
    private const string FactsSql =
        """
        SELECT kind, period, k1, k2, k3, c0, c1, c2, c3, c4, c5, c6, c7, c8
        FROM trend_facts
        WHERE kind IN @kinds AND slice_id = @slice AND grain = @grain AND period >= @first AND period <= @last AND c0 <> 0
          AND (@detail = 1 OR ((kind NOT IN ('objection', 'objection_reps', 'message') OR k2 = '*') AND (kind <> 'reason' OR k3 = '*')))
        """;
    private const string SliceSql = "SELECT id FROM trend_slices WHERE dim = @dim AND value = @value";

    /// <param name="needsCompetitorDetail">
    /// False: per-competitor rows of objections, reps, messages and reasons (k2 or k3 ≠ '*') are not read — they
    /// outnumber the '*' rows many times over and only competitor-filtered queries use them.
    /// </param>
    public static async Task<TrendData> ReadAsync(SqliteConnection c, TrendFilter f, IReadOnlyList<string> kinds, bool needsCompetitorDetail, CancellationToken ct)
    {
        var data = new TrendData();
        var dims = f.Dimensions();
        var g = f.Granularity;
        // Slices have months only: a filtered weekly trend is summed from the reports.
        if (dims.Count >= 2 || (dims.Count == 1 && (needsCompetitorDetail || g == Granularity.Week)))
        {
            FromReports(c, f, f.From, f.To, data);
            return data;
        }

        long slice = 0;
        if (dims.Count == 1)
        {
            var id = await c.ExecuteScalarAsync<long?>(new CommandDefinition(SliceSql, new { dim = dims[0].Dim, value = dims[0].Value }, cancellationToken: ct));
            if (id is null) return data; // nobody ever reported this value
            slice = id.Value;
        }

        // Whole periods from the read model; cut periods at either end from the reports.
        string first = "", last = "~";
        var partial = new List<(DateOnly From, DateOnly To)>();
        if (f.From is { } from)
        {
            var (start, end) = Statistics.PeriodBounds(from, g);
            if (from > start) partial.Add((from, f.To is { } to0 && to0 < end ? to0 : end));
            first = Statistics.PeriodLabel(from > start ? end.AddDays(1) : from, g);
        }
        if (f.To is { } to)
        {
            var (start, end) = Statistics.PeriodBounds(to, g);
            var lowerEdge = f.From is { } from1 && from1 > start ? from1 : start;
            if (to < end && !partial.Any(p => p.From == lowerEdge)) partial.Add((lowerEdge, to));
            last = Statistics.PeriodLabel(to < end ? start.AddDays(-1) : to, g);
        }
        if (string.CompareOrdinal(first, last) <= 0)
        {
            // A slice's quarter is the sum of its months (quarter labels sort with their months: "2026-Q1" < "2026-04").
            var byMonth = slice != 0 && g == Granularity.Quarter;
            var grain = byMonth ? ReadModel.SliceGrain : ReadModel.GrainLetter(g);
            var (firstRead, lastRead) = byMonth ? (MonthOf(first, true), MonthOf(last, false)) : (first, last);
            var rows = await c.QueryAsync<FactRow>(new CommandDefinition(FactsSql,
                new { kinds, slice, grain = grain.ToString(), first = firstRead, last = lastRead, detail = needsCompetitorDetail ? 1 : 0 }, cancellationToken: ct));
            foreach (var r in rows)
            {
                var bucket = byMonth ? QuarterOfMonth(r.Period) : r.Period;
                data.Add(bucket, r.Kind, r.K1, r.K2, r.K3, [r.C0, r.C1, r.C2, r.C3, r.C4, r.C5, r.C6, r.C7, r.C8]);
            }
            if (slice != 0 && kinds.Contains(Kinds.ObjectionReps)) DistinctRepsFromReports(c, f, first, last, data);
        }
        foreach (var (pFrom, pTo) in partial) FromReports(c, f, pFrom, pTo, data);
        return data;
    }

    /// <summary>First (or last) month label of a quarter label; "" and "~" (open ends) stay as they are.</summary>
    private static string MonthOf(string quarter, bool first)
    {
        if (quarter.Length != 7 || quarter[5] != 'Q') return quarter;
        var q = quarter[6] - '0';
        var month = first ? q * 3 - 2 : q * 3;
        return string.Create(CultureInfo.InvariantCulture, $"{quarter[..4]}-{month:D2}");
    }

    private static string QuarterOfMonth(string month) =>
        string.Create(CultureInfo.InvariantCulture, $"{month[..4]}-Q{(int.Parse(month[5..], CultureInfo.InvariantCulture) + 2) / 3}");

    /// <summary>Sums the facts of the live reports closed in [from, to] matching the filter (slice 0 semantics).</summary>
    private static void FromReports(SqliteConnection c, TrendFilter f, DateOnly? from, DateOnly? to, TrendData data)
    {
        var (where, parameters) = Where(f, from, to);
        var aggregator = new ReadModel.Aggregator();
        var grain = new[] { (ReadModel.GrainLetter(f.Granularity), f.Granularity) };
        long[] sliceZero = [0];
        foreach (var snapshot in ReadModel.Load(c, null, where, parameters)) aggregator.Add(snapshot, sliceZero, grain);
        aggregator.CountReps();
        foreach (var (key, sum) in aggregator.Rows) data.Add(key.Period, key.Kind, key.K1, key.K2, key.K3, sum);
    }

    private const string RepDaysSql =
        """
        SELECT DISTINCT r.closed_on AS ClosedOn, o.category AS Category, r.rep_id AS RepId
        FROM report_objections o JOIN reports r ON r.id = o.report_id
        WHERE r.deleted_at IS NULL AND
        """;

    /// <summary>Distinct reps per (period, category) for a filtered query: the slices keep no rep rows, so count them from the reports.</summary>
    private static void DistinctRepsFromReports(SqliteConnection c, TrendFilter f, string first, string last, TrendData data)
    {
        var (where, parameters) = Where(f, f.From, f.To);
        var args = new DynamicParameters();
        foreach (var (k, v) in parameters) args.Add(k, v);
        var seen = new HashSet<(string, string, long)>();
        foreach (var row in c.Query<(string ClosedOn, string Category, long RepId)>(RepDaysSql + " " + where, args))
        {
            var bucket = Statistics.PeriodLabel(DateOnly.ParseExact(row.ClosedOn, "yyyy-MM-dd", CultureInfo.InvariantCulture), f.Granularity);
            if (string.CompareOrdinal(bucket, first) < 0 || string.CompareOrdinal(bucket, last) > 0) continue;
            if (seen.Add((bucket, row.Category, row.RepId))) data.Add(bucket, Kinds.ObjectionReps, row.Category, CompetitorKey.Any, "", [1, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
    }

    /// <summary>The condition on alias r for a filter and day range; values as parameters only.</summary>
    private static (string Where, Dictionary<string, object?> Parameters) Where(TrendFilter f, DateOnly? from, DateOnly? to)
    {
        var where = new StringBuilder("1 = 1");
        var p = new Dictionary<string, object?>();
        if (from is { } a) { where.Append(" AND r.closed_on >= @from"); p["from"] = a.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); }
        if (to is { } b) { where.Append(" AND r.closed_on <= @to"); p["to"] = b.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); }
        if (f.Segment is not null) { where.Append(" AND r.segment = @segment"); p["segment"] = f.Segment; }
        if (f.Stage is not null) { where.Append(" AND r.stage_reached = @stage"); p["stage"] = f.Stage; }
        if (f.Region is not null) { where.Append(" AND r.region = @region COLLATE NOCASE"); p["region"] = f.Region; }
        if (f.Product is not null) { where.Append(" AND r.product = @product COLLATE NOCASE"); p["product"] = f.Product; }
        if (f.Industry is not null) { where.Append(" AND r.industry = @industry COLLATE NOCASE"); p["industry"] = f.Industry; }
        return (where.ToString(), p);
    }

    private sealed class FactRow
    {
        public string Kind { get; init; } = "";
        public string Period { get; init; } = "";
        public string K1 { get; init; } = "";
        public string K2 { get; init; } = "";
        public string K3 { get; init; } = "";
        public long C0 { get; init; }
        public long C1 { get; init; }
        public long C2 { get; init; }
        public long C3 { get; init; }
        public long C4 { get; init; }
        public long C5 { get; init; }
        public long C6 { get; init; }
        public long C7 { get; init; }
        public long C8 { get; init; }
    }
}

/// <summary>A rate with its evidence: value, n (the denominator), Wilson 95% interval, lowSample when n &lt; minSample.</summary>
public sealed record TrendRate(double? Value, long N, double[]? Ci95, bool LowSample)
{
    public static TrendRate Of(long successes, long n, int minSample)
    {
        var ci = Statistics.Wilson(successes, n);
        return new TrendRate(n == 0 ? null : Round((double)successes / n), n,
            ci is { } c ? [Round(c.Low), Round(c.High)] : null, n < minSample);
    }

    public static double Round(double v) => Math.Round(v, 4, MidpointRounding.AwayFromZero);
}

/// <summary>A competitor as trends show it: null for "none named".</summary>
public sealed record TrendCompetitor(long? Id, string Name, bool Matched);

/// <summary>Shared helpers of the trend endpoints: names, money, CSV.</summary>
public static class TrendFormat
{
    /// <summary>Money per currency from cents, e.g. {"USD": 1200.5}; amounts without a currency are not money.</summary>
    public static SortedDictionary<string, decimal> Money(IEnumerable<(string Currency, long Cents)> amounts)
    {
        var money = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (currency, cents) in amounts)
        {
            if (currency.Length == 0 || cents == 0) continue;
            money[currency] = (money.TryGetValue(currency, out var v) ? v : 0m) + cents / 100m;
        }
        return money;
    }

    public static string MoneyCell(IReadOnlyDictionary<string, decimal> money) =>
        string.Join(CsvWriter.MultiValueSeparator, money.Select(kv => kv.Key + " " + kv.Value.ToString("0.00", CultureInfo.InvariantCulture)));

    private const string CompetitorNamesSql = "SELECT id, name FROM competitors WHERE id IN @ids";
    private const string UnmatchedNamesSql =
        "SELECT normalized, MIN(name) FROM report_competitors WHERE normalized IN @keys AND competitor_id IS NULL GROUP BY normalized";
    private const string UnmatchedObjectionNamesSql =
        "SELECT competitor_normalized, MIN(competitor) FROM report_objections WHERE competitor_normalized IN @keys GROUP BY competitor_normalized";

    /// <summary>Display form of competitor keys ('' none → null).</summary>
    public static async Task<Dictionary<string, TrendCompetitor?>> CompetitorsAsync(SqliteConnection c, IEnumerable<string> keys, CancellationToken ct)
    {
        var all = keys.Distinct().ToList();
        var result = new Dictionary<string, TrendCompetitor?>(StringComparer.Ordinal);
        var ids = all.Where(k => k.StartsWith('c')).Select(k => long.Parse(k[1..], CultureInfo.InvariantCulture)).ToList();
        var unmatched = all.Where(k => k.StartsWith('u')).Select(k => k[1..]).ToList();
        var names = ids.Count == 0 ? [] : (await c.QueryAsync<(long Id, string Name)>(new CommandDefinition(CompetitorNamesSql, new { ids }, cancellationToken: ct)))
            .ToDictionary(x => x.Id, x => x.Name);
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);
        if (unmatched.Count > 0)
        {
            foreach (var (k, n) in await c.QueryAsync<(string, string)>(new CommandDefinition(UnmatchedObjectionNamesSql, new { keys = unmatched }, cancellationToken: ct))) raw[k] = n;
            foreach (var (k, n) in await c.QueryAsync<(string, string)>(new CommandDefinition(UnmatchedNamesSql, new { keys = unmatched }, cancellationToken: ct))) raw[k] = n;
        }
        foreach (var key in all)
        {
            if (key is CompetitorKey.None or CompetitorKey.Any) { result[key] = null; continue; }
            if (key[0] == 'c')
            {
                var id = long.Parse(key[1..], CultureInfo.InvariantCulture);
                result[key] = new TrendCompetitor(id, names.TryGetValue(id, out var n) ? n : $"#{id}", true);
            }
            else result[key] = new TrendCompetitor(null, raw.TryGetValue(key[1..], out var n) ? n : key[1..], false);
        }
        return result;
    }

    /// <summary>Resolves a competitor parameter (catalogue id or a name/alias) to its key; null when unknown.</summary>
    public static async Task<string?> CompetitorKeyAsync(SqliteConnection c, string value, CancellationToken ct)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT id FROM competitors WHERE id = @id", new { id }, cancellationToken: ct)) is null
                ? null : "c" + id.ToString(CultureInfo.InvariantCulture);
        var normalized = CompetitorNames.Normalize(value);
        if (normalized.Length == 0) return null;
        var matched = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT competitor_id FROM competitor_aliases WHERE normalized = @normalized", new { normalized }, cancellationToken: ct));
        return CompetitorKey.Of(matched, normalized);
    }

    /// <summary>CSV requires the export-trends permission (marketing, analyst, admin); reps get 403.</summary>
    public static void EnsureMayExport(Caller caller)
    {
        if (!Policies.Matrix[Policies.ExportTrends].Contains(caller.Role))
            throw new ForbiddenException("Exporting trends (format=csv) needs the marketing, analyst or admin role.");
    }

    public static IResult Csv(string fileName, Func<CsvWriter, CancellationToken, Task> write) => new CsvResult(fileName, write);

    private sealed class CsvResult(string fileName, Func<CsvWriter, CancellationToken, Task> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            await using var csv = new CsvWriter(http.Response.Body);
            await write(csv, http.RequestAborted);
            await csv.FlushAsync(http.RequestAborted);

            // Every export is audited (contract section 6): who, when, which trend, its filters, rows.
            var caller = Caller.From(http.User);
            var filters = http.Request.Query.Where(q => q.Key != "format").ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
            var rows = csv.DataRows;
            await http.RequestServices.GetRequiredService<Writer>().ExecuteAsync((c, t) =>
                Audit.Record(c, t, caller, "export", http.Request.Path.Value, new { filters, format = "csv", rows, completed = true }), CancellationToken.None);
        }
    }

    public static string Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";
}
