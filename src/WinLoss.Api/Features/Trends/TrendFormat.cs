using System.Globalization;
using Dapper;
using DuckDB.NET.Data;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Trends;

/// <summary>A rate with its evidence: value, n (the denominator), Wilson 95% interval, lowSample when n &lt; minSample.</summary>
public sealed record TrendRate(double? Value, long N, double[]? Ci95, bool LowSample)
{
    public static TrendRate Of(long successes, long n, int minSample)
    {
        var ci = Statistics.Wilson(successes, n);
        return new TrendRate(n == 0 ? null : Round((double)successes / n), n,
            ci is { } c ? [Round(c.Low), Round(c.High)] : null, n < minSample);
    }

    /// <summary>Decimals of the rates in the answers.</summary>
    public const int Digits = 4;

    public static double Round(double v) => Math.Round(v, Digits, MidpointRounding.AwayFromZero);
}

/// <summary>A competitor as trends show it: null for "none named".</summary>
public sealed record TrendCompetitor(long? Id, string Name, bool Matched);

/// <summary>Shared helpers of the trend endpoints: names, money, dates, CSV.</summary>
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
        """
        SELECT key, min(name) FROM (
            SELECT competitor_key AS key, name FROM report_competitors WHERE competitor_id IS NULL AND list_contains($keys, competitor_key)
            UNION ALL
            SELECT competitor_key, competitor_name FROM report_objections
            WHERE competitor_id IS NULL AND competitor_name IS NOT NULL AND list_contains($keys, competitor_key)
              AND competitor_key NOT IN (SELECT competitor_key FROM report_competitors WHERE competitor_id IS NULL AND list_contains($keys, competitor_key))
        ) GROUP BY key
        """;

    /// <summary>Display form of competitor keys ('' none → null): catalogue names from the write store, unmatched names as reps typed them.</summary>
    public static async Task<Dictionary<string, TrendCompetitor?>> CompetitorsAsync(Db db, DuckDBConnection duck, IEnumerable<string> keys, CancellationToken ct)
    {
        var all = keys.Distinct().ToList();
        var result = new Dictionary<string, TrendCompetitor?>(StringComparer.Ordinal);
        var ids = all.Where(k => k.StartsWith('c')).Select(k => long.Parse(k[1..], CultureInfo.InvariantCulture)).ToList();
        var unmatched = all.Where(k => k.StartsWith('u')).ToList();
        var names = new Dictionary<long, string>();
        if (ids.Count > 0)
        {
            await using var c = await db.OpenAsync(ct);
            foreach (var (id, name) in await c.QueryAsync<(long, string)>(new CommandDefinition(Dialect.Of(c).Adapt(CompetitorNamesSql), new { ids }, cancellationToken: ct))) names[id] = name;
        }
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);
        if (unmatched.Count > 0)
        {
            var list = "[" + string.Join(",", unmatched.Select(k => "'" + k.Replace("'", "''", StringComparison.Ordinal) + "'")) + "]";
            foreach (var (k, n) in duck.Query<(string, string)>(UnmatchedNamesSql.Replace("$keys", list, StringComparison.Ordinal))) raw[k] = n;
        }
        foreach (var key in all)
        {
            if (key is CompetitorKey.None or CompetitorKey.Any) { result[key] = null; continue; }
            if (key[0] == 'c')
            {
                var id = long.Parse(key[1..], CultureInfo.InvariantCulture);
                result[key] = new TrendCompetitor(id, names.TryGetValue(id, out var n) ? n : $"#{id}", true);
            }
            else result[key] = new TrendCompetitor(null, raw.TryGetValue(key, out var n) ? n : key[1..], false);
        }
        return result;
    }

    /// <summary>Resolves a competitor parameter (catalogue id or a name/alias) to its key; null when unknown.</summary>
    public static async Task<string?> CompetitorKeyAsync(Db db, string value, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT id FROM competitors WHERE id = @id", new { id }, cancellationToken: ct)) is null
                ? null : "c" + id.ToString(CultureInfo.InvariantCulture);
        var normalized = CompetitorNames.Normalize(value);
        if (normalized.Length == 0) return null;
        var matched = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT competitor_id FROM competitor_aliases WHERE normalized = @normalized", new { normalized }, cancellationToken: ct));
        return CompetitorKey.Of(matched, normalized);
    }

    /// <summary>CSV requires the export-trends permission (marketing, analyst, admin); reps get 403 before any query runs.</summary>
    public static void EnsureMayExport(Caller caller)
    {
        if (!Policies.Matrix[Policies.ExportTrends].Contains(caller.Role))
            throw new ForbiddenException("Exporting trends (format=csv) needs the marketing, analyst or admin role.");
    }

    /// <summary>Checks the export permission first when CSV is asked for, then runs the query.</summary>
    public static async Task<T> QueryAsync<T>(TrendParameters parameters, HttpContext http, Func<Task<T>> query)
    {
        if (parameters.IsCsv) EnsureMayExport(Caller.From(http.User));
        return await query();
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

            // Every export is audited (docs/api-guide.md "Exports"): who, when, which trend, its filters, rows.
            var caller = Caller.From(http.User);
            var filters = http.Request.Query.Where(q => q.Key != "format").ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
            var rows = csv.DataRows;
            await http.RequestServices.GetRequiredService<Writer>().ExecuteAsync((c, t) =>
                Audit.Record(c, t, caller, "export", http.Request.Path.Value, new { filters, format = "csv", rows, completed = true }), CancellationToken.None);
        }
    }

    /// <summary>What every trend endpoint declares: its name, summary, CSV columns, the read-trends policy, JSON or CSV, 400s.</summary>
    public static RouteHandlerBuilder AsTrend<T>(this RouteHandlerBuilder route, string name, string summary, string[] csvColumns) =>
        route.WithName(name).WithSummary(summary).WithDescription("CSV columns: " + string.Join(",", csvColumns))
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<T>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();

    /// <summary>A filter date as the answers show it: YYYY-MM-DD, or null when that end is open.</summary>
    public static string? Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
