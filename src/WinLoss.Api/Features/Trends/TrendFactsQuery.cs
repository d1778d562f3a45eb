using System.Globalization;
using System.Text;
using Dapper;
using DuckDB.NET.Data;
using WinLoss.Api.Features.Reports;

namespace WinLoss.Api.Features.Trends;

/// <summary>Which facts to compute (see <see cref="Kinds"/> for what each kind counts).</summary>
/// <param name="Kinds">Kinds to compute.</param>
/// <param name="ObjectionCompetitor">Objection facts for this competitor key only ('*': all objections).</param>
/// <param name="PerCompetitor">Also compute reason and message facts per competitor of the deal (k3 / k2 ≠ '*').</param>
/// <param name="GroupBy">null: bucket = period label; "segment" or "stage": bucket = that value (reports without one left out);
/// "all": one bucket ('') for the whole range.</param>
/// <param name="OnlyCompetitor">Competitor, reason and message facts of this competitor key only (a profile): no '*' or primary rows.</param>
/// <param name="DealCounts">Deal facts as counts per outcome only (k1 lead source and k2 currency '', no cents or lead quality): what a
/// share's denominator needs, at a fraction of the grouping work.</param>
/// <param name="Outcome">Facts of deals with this outcome only (won, lost, no_decision); null: every outcome.</param>
/// <param name="WithoutAny">With <paramref name="PerCompetitor"/>: reason and message facts per competitor only, no '*' rows.</param>
/// <param name="PrimaryCompetitor">Competitor facts of the primary competitor only (k3 'p': each report once) instead of every competitor named (k3 'a').</param>
public sealed record FactRequest(
    IReadOnlyList<string> Kinds, string ObjectionCompetitor = CompetitorKey.Any, bool PerCompetitor = false, string? GroupBy = null,
    string? OnlyCompetitor = null, bool PrimaryCompetitor = false, bool DealCounts = false, string? Outcome = null, bool WithoutAny = false);

/// <summary>
/// The trend facts of one filter, computed on the read side (DuckDB) in one statement: the filtered reports once, then one
/// aggregate per requested kind. Every filter combination, granularity and cut period goes through this one path.
/// </summary>
public static class TrendFactsQuery
{
    /// <summary>The <see cref="FactRequest.GroupBy"/> value for one bucket over the whole range.</summary>
    public const string AllDeals = "all";

    /// <summary>
    /// The bucket column: the group value, or the period as a number stored on every trend table (ISO week-year × 100 +
    /// ISO week, year × 100 + month, year × 10 + quarter; <see cref="TrendTables"/>), labelled in C# once per aggregated row.
    /// </summary>
    private static string Bucket(Granularity g, string? groupBy) => groupBy switch
    {
        AllDeals => "''",
        "segment" => "segment",
        "stage" => "stage",
        _ => g switch
        {
            Granularity.Week => "p_week",
            Granularity.Month => "p_month",
            _ => "p_quarter",
        },
    };

    private static string Label(string bucket, Granularity g)
    {
        var n = int.Parse(bucket, CultureInfo.InvariantCulture);
        return g switch
        {
            Granularity.Week => string.Create(CultureInfo.InvariantCulture, $"{n / 100:D4}-W{n % 100:D2}"),
            Granularity.Month => string.Create(CultureInfo.InvariantCulture, $"{n / 100:D4}-{n % 100:D2}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{n / 10:D4}-Q{n % 10}"),
        };
    }

    /// <summary>The WHERE condition on the projected reports for a filter (values always as parameters).</summary>
    public static string Where(TrendFilter f, DynamicParameters p)
    {
        var where = new StringBuilder("TRUE");
        if (f.From is { } from) { where.Append(" AND closed_on >= CAST($from AS DATE)"); p.Add("from", Day(from)); }
        if (f.To is { } to) { where.Append(" AND closed_on <= CAST($to AS DATE)"); p.Add("to", Day(to)); }
        if (f.Segment is not null) { where.Append(" AND segment = $segment"); p.Add("segment", f.Segment); }
        if (f.Stage is not null) { where.Append(" AND stage = $stage"); p.Add("stage", f.Stage); }
        if (f.Region is not null) { where.Append(" AND region_key = $region"); p.Add("region", ReportProjection.Fold(f.Region)); }
        if (f.Product is not null) { where.Append(" AND product_key = $product"); p.Add("product", ReportProjection.Fold(f.Product)); }
        if (f.Industry is not null) { where.Append(" AND industry_key = $industry"); p.Add("industry", ReportProjection.Fold(f.Industry)); }
        return where.ToString();
    }

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// One aggregate per requested kind over the trend tables (no joins: every table carries the filter columns), as
    /// rows (bucket, kind, k1, k2, k3, o, a, b, c, d) that <see cref="Fold"/> adds into the counters of
    /// <see cref="Kinds"/>; o is an outcome code, or -1.
    /// </summary>
    public static TrendData Read(DuckDBConnection c, TrendFilter f, FactRequest request)
    {
        var p = new DynamicParameters();
        var where = Where(f, p);
        if (request.GroupBy is not null and not AllDeals) where += $" AND {request.GroupBy} IS NOT NULL";
        if (request.Outcome is not null) { where += " AND outcome = $outcome"; p.Add("outcome", Array.IndexOf(TrendTables.Outcomes, request.Outcome)); }
        p.Add("key", request.ObjectionCompetitor);
        p.Add("only", request.OnlyCompetitor ?? "");
        var only = request.OnlyCompetitor is not null;
        var onlyWhere = only ? " AND competitor_key = $only::VARCHAR" : "";
        var b = Bucket(f.Granularity, request.GroupBy);
        var g = request.GroupBy == AllDeals ? "" : b + ", "; // the GROUP BY's leading bucket (none for one bucket)
        var kinds = request.Kinds;

        var parts = new List<string>();
        if (kinds.Contains(Kinds.Deal) && request.DealCounts)
            parts.Add($"""
                SELECT {b}, 'deal', '', '', '', outcome, count(*), 0, 0, 0
                FROM trend_deals WHERE {where} GROUP BY {g}outcome
                """);
        else if (kinds.Contains(Kinds.Deal))
            parts.Add($"""
                SELECT {b}, 'deal', COALESCE(lead_source, ''), cur, '', outcome, count(*), sum(cents), COALESCE(sum(lead_quality), 0), count(lead_quality)
                FROM trend_deals WHERE {where} GROUP BY {g}lead_source, cur, outcome
                """);
        if (kinds.Contains(Kinds.Competitor))
        {
            if (!request.PrimaryCompetitor) parts.Add($"""
                SELECT {b}, 'competitor', competitor_key, cur, 'a', outcome, count(*), sum(cents), 0, 0
                FROM trend_competitors WHERE {where}{onlyWhere} GROUP BY {g}competitor_key, cur, outcome
                """);
            else if (!only) parts.Add($"""
                SELECT {b}, 'competitor', primary_competitor, cur, 'p', outcome, count(*), sum(cents), 0, 0
                FROM trend_deals WHERE {where} GROUP BY {g}primary_competitor, cur, outcome
                """);
        }
        if (kinds.Contains(Kinds.Objection))
            parts.Add($"""
                SELECT {b}, 'objection', category, $key::VARCHAR, cur, outcome, sum(mentions), count(*), sum(overcome), sum(cents)
                FROM trend_objections WHERE {where} AND competitor_key = $key::VARCHAR GROUP BY {g}category, cur, outcome
                """);
        if (kinds.Contains(Kinds.ObjectionReps))
            parts.Add($"""
                SELECT {b}, 'objection_reps', category, $key::VARCHAR, '', -1, count(DISTINCT rep_id), 0, 0, 0
                FROM trend_objections WHERE {where} AND competitor_key = $key::VARCHAR GROUP BY {g}category
                """);
        if (kinds.Contains(Kinds.Reason))
        {
            if (!only && !request.WithoutAny) parts.Add($"""
                SELECT {b}, 'reason', category, '', '*', outcome, count(*), sum(is_primary::INTEGER), 0, 0
                FROM trend_reasons WHERE {where} GROUP BY {g}category, outcome
                """);
            if (request.PerCompetitor) parts.Add($"""
                SELECT {b}, 'reason', category, '', competitor_key, outcome, count(*), sum(is_primary::INTEGER), 0, 0
                FROM trend_competitor_reasons WHERE {where}{onlyWhere} GROUP BY {g}category, competitor_key, outcome
                """);
        }
        if (kinds.Contains(Kinds.Message))
        {
            if (!only && !request.WithoutAny) parts.Add($"""
                SELECT {b}, 'message', message_id, '*', '', outcome, count(*), resonance, 0, 0
                FROM trend_messages WHERE {where} GROUP BY {g}message_id, outcome, resonance
                """);
            if (request.PerCompetitor) parts.Add($"""
                SELECT {b}, 'message', message_id, competitor_key, '', outcome, count(*), resonance, 0, 0
                FROM trend_competitor_messages WHERE {where}{onlyWhere} GROUP BY {g}message_id, competitor_key, outcome, resonance
                """);
        }
        if (kinds.Contains(Kinds.Collateral))
            parts.Add($"""
                SELECT {b}, 'collateral', collateral_id, '', '', outcome, count(*), 0, 0, 0
                FROM trend_collateral WHERE {where} GROUP BY {g}collateral_id, outcome
                """);

        var data = new TrendData();
        if (parts.Count == 0) return data;
        // Each part's columns are cast once the rows are aggregated (a cast in the GROUP BY would run per scanned row).
        var sql = "SELECT bucket::VARCHAR, kind, k1, k2, k3, o::INTEGER, a::BIGINT, b::BIGINT, c::BIGINT, d::BIGINT FROM (\n"
                  + string.Join("\nUNION ALL\n", parts) + "\n) AS u(bucket, kind, k1, k2, k3, o, a, b, c, d)";
        using var reader = c.ExecuteReader(sql, p);
        var counters = new long[Kinds.Counters];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var bucket = reader.GetString(0);
            string label;
            if (request.GroupBy is not null) label = bucket;
            else if (!labels.TryGetValue(bucket, out label!)) labels[bucket] = label = Label(bucket, f.Granularity);
            var kind = reader.GetString(1);
            var k1 = reader.GetString(2);
            var k2 = reader.GetString(3);
            var k3 = reader.GetString(4);
            var o = reader.GetInt32(5);
            Array.Clear(counters);
            Fold(kind, ref k2, ref k3, o, reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), counters);
            data.Add(label, kind, k1, k2, k3, counters);
        }
        return data;
    }

    /// <summary>Adds one aggregated row into the counters of its kind (see <see cref="Kinds"/>).</summary>
    private static void Fold(string kind, ref string k2, ref string k3, int o, long a, long b, long c, long d, long[] counters)
    {
        switch (kind)
        {
            case Kinds.Deal: // a deals, b cents, c lead quality sum, d rated deals
                counters[0] = a; counters[1 + o] = a; counters[4 + o] = b; counters[7] = c; counters[8] = d;
                break;
            case Kinds.Competitor: // a deals, b cents (won and lost kept)
                counters[0] = a; counters[1 + o] = a;
                if (o < 2) counters[4 + o] = b;
                break;
            case Kinds.Objection: // a mentions, b deals, c overcome mentions, d cents; at risk: lost and no decision
                counters[0] = a; counters[1] = b; counters[2] = c;
                if (o > 0) { counters[3] = d; counters[4] = b; }
                break;
            case Kinds.ObjectionReps:
                counters[0] = a;
                break;
            case Kinds.Reason: // a deals, b primary
                k2 = TrendTables.Outcomes[o];
                counters[0] = a; counters[1] = b;
                break;
            case Kinds.Message: // a deals, b the resonance code
                k3 = TrendTables.Outcomes[o];
                counters[0] = a; counters[1 + (int)b] = a;
                break;
            case Kinds.Collateral:
                k2 = TrendTables.Outcomes[o];
                counters[0] = a;
                break;
        }
    }
}
