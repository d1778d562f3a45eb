using System.Globalization;
using System.Text;
using Dapper;
using DuckDB.NET.Data;
using WinLoss.Api.Features.Reports;

namespace WinLoss.Api.Features.Trends;

/// <summary>What one query asks of the read side: which facts (one <see cref="FactSet"/> per kind), in which buckets, of which deals.</summary>
/// <param name="Sets">The facts to compute; each kind at most once.</param>
/// <param name="GroupBy">null: bucket = period label; "segment" or "stage": bucket = that value (reports without one left out);
/// <see cref="TrendFactsQuery.AllDeals"/>: one bucket ('') for the whole range.</param>
/// <param name="Outcome">Facts of deals with this outcome only (won, lost, no_decision); null: every outcome.</param>
public sealed record FactRequest(IReadOnlyList<FactSet> Sets, string? GroupBy = null, string? Outcome = null)
{
    public FactRequest(params FactSet[] sets) : this((IReadOnlyList<FactSet>)sets) { }
}

/// <summary>One kind of fact a query asks for, with that kind's options (<see cref="Kinds"/> says what each counts).</summary>
public abstract record FactSet;

/// <summary>Deal facts per lead source and currency, with cents and lead quality; <paramref name="CountsOnly"/>: deal counts
/// per outcome only (k1 and k2 ''), what a share's denominator needs, at a fraction of the grouping work.</summary>
public sealed record DealFacts(bool CountsOnly = false) : FactSet;

/// <summary>Competitor facts: each competitor named (k3 'a'), or with <paramref name="Primary"/> each report once under its
/// primary competitor (k3 'p'); with <paramref name="Only"/> those of that competitor key alone.</summary>
public sealed record CompetitorFacts(bool Primary = false, string? Only = null) : FactSet;

/// <summary>Objection facts of one competitor key ('*': every objection), with <paramref name="Reps"/> also the distinct reps
/// per category (kind objection_reps).</summary>
public sealed record ObjectionFacts(string Competitor = CompetitorKey.Any, bool Reps = false) : FactSet;

/// <summary>Reason facts over all deals (k3 '*', unless <paramref name="AllDeals"/> is false) and per competitor of the deal
/// (<paramref name="PerCompetitor"/>); with <paramref name="Only"/> per that competitor alone.</summary>
public sealed record ReasonFacts(bool AllDeals = true, bool PerCompetitor = false, string? Only = null) : FactSet;

/// <summary>Message facts over all deals (k2 '*', unless <paramref name="AllDeals"/> is false) and per competitor of the deal
/// (<paramref name="PerCompetitor"/>); with <paramref name="Only"/> per that competitor alone.</summary>
public sealed record MessageFacts(bool AllDeals = true, bool PerCompetitor = false, string? Only = null) : FactSet;

/// <summary>Collateral facts: uses per collateral item and outcome.</summary>
public sealed record CollateralFacts : FactSet;

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
        if (request.Sets.Select(x => x.GetType()).Distinct().Count() != request.Sets.Count)
            throw new ArgumentException("Each kind of fact at most once per request (their rows are summed).", nameof(request));
        var p = new DynamicParameters();
        var where = Where(f, p);
        if (request.GroupBy is not null and not AllDeals) where += $" AND {request.GroupBy} IS NOT NULL";
        if (request.Outcome is not null) { where += " AND outcome = $outcome"; p.Add("outcome", Array.IndexOf(TrendTables.Outcomes, request.Outcome)); }
        var b = Bucket(f.Granularity, request.GroupBy);
        var g = request.GroupBy == AllDeals ? "" : b + ", "; // the GROUP BY's leading bucket (none for one bucket)

        var parts = new List<string>();
        var n = 0;
        string Only(string? key, string column = "competitor_key") // restricts a part to one competitor key (a parameter of its own)
        {
            if (key is null) return "";
            var name = "only" + (n++).ToString(CultureInfo.InvariantCulture);
            p.Add(name, key);
            return $" AND {column} = ${name}::VARCHAR";
        }
        foreach (var set in request.Sets)
        {
            switch (set)
            {
                case DealFacts { CountsOnly: true }:
                    parts.Add($"""
                        SELECT {b}, 'deal', '', '', '', outcome, count(*), 0, 0, 0
                        FROM trend_deals WHERE {where} GROUP BY {g}outcome
                        """);
                    break;
                case DealFacts:
                    parts.Add($"""
                        SELECT {b}, 'deal', COALESCE(lead_source, ''), cur, '', outcome, count(*), sum(cents), COALESCE(sum(lead_quality), 0), count(lead_quality)
                        FROM trend_deals WHERE {where} GROUP BY {g}lead_source, cur, outcome
                        """);
                    break;
                case CompetitorFacts { Primary: false } named:
                    parts.Add($"""
                        SELECT {b}, 'competitor', competitor_key, cur, 'a', outcome, count(*), sum(cents), 0, 0
                        FROM trend_competitors WHERE {where}{Only(named.Only)} GROUP BY {g}competitor_key, cur, outcome
                        """);
                    break;
                case CompetitorFacts primary:
                    parts.Add($"""
                        SELECT {b}, 'competitor', primary_competitor, cur, 'p', outcome, count(*), sum(cents), 0, 0
                        FROM trend_deals WHERE {where}{Only(primary.Only, "primary_competitor")} GROUP BY {g}primary_competitor, cur, outcome
                        """);
                    break;
                case ObjectionFacts objections:
                    p.Add("key", objections.Competitor);
                    parts.Add($"""
                        SELECT {b}, 'objection', category, $key::VARCHAR, cur, outcome, sum(mentions), count(*), sum(overcome), sum(cents)
                        FROM trend_objections WHERE {where} AND competitor_key = $key::VARCHAR GROUP BY {g}category, cur, outcome
                        """);
                    if (objections.Reps) parts.Add($"""
                        SELECT {b}, 'objection_reps', category, $key::VARCHAR, '', -1, count(DISTINCT rep_id), 0, 0, 0
                        FROM trend_objections WHERE {where} AND competitor_key = $key::VARCHAR GROUP BY {g}category
                        """);
                    break;
                case ReasonFacts reasons:
                    if (reasons.AllDeals) parts.Add($"""
                        SELECT {b}, 'reason', category, '', '*', outcome, count(*), sum(is_primary::INTEGER), 0, 0
                        FROM trend_reasons WHERE {where} GROUP BY {g}category, outcome
                        """);
                    if (reasons.PerCompetitor) parts.Add($"""
                        SELECT {b}, 'reason', category, '', competitor_key, outcome, count(*), sum(is_primary::INTEGER), 0, 0
                        FROM trend_competitor_reasons WHERE {where}{Only(reasons.Only)} GROUP BY {g}category, competitor_key, outcome
                        """);
                    break;
                case MessageFacts messages:
                    if (messages.AllDeals) parts.Add($"""
                        SELECT {b}, 'message', message_id, '*', '', outcome, count(*), resonance, 0, 0
                        FROM trend_messages WHERE {where} GROUP BY {g}message_id, outcome, resonance
                        """);
                    if (messages.PerCompetitor) parts.Add($"""
                        SELECT {b}, 'message', message_id, competitor_key, '', outcome, count(*), resonance, 0, 0
                        FROM trend_competitor_messages WHERE {where}{Only(messages.Only)} GROUP BY {g}message_id, competitor_key, outcome, resonance
                        """);
                    break;
                case CollateralFacts:
                    parts.Add($"""
                        SELECT {b}, 'collateral', collateral_id, '', '', outcome, count(*), 0, 0, 0
                        FROM trend_collateral WHERE {where} GROUP BY {g}collateral_id, outcome
                        """);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(request), set, "Unknown kind of fact.");
            }
        }

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
