using System.Globalization;
using System.Text;
using Dapper;
using DuckDB.NET.Data;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Coverage;

/// <summary>Closed deals known and reported in one group (dim, key) for one outcome ("*" = all outcomes).</summary>
public sealed record CoverageCell(string Dim, string Key, string Outcome, long Known, long Reported, double? MedianDays);

/// <summary>Data-quality counts of one rep (Dim "rep", Key = rep id, Team), one team (Dim "team") or everyone (Dim "overall").</summary>
public sealed record QualityCell(string Dim, string Key, string Team, QualityCounts Counts);

/// <summary>
/// The queries coverage and data quality rest on, on the read side (DuckDB): closed deals (<see cref="ClosedDealProjection"/>)
/// joined to the projected reports, aggregated in the engine with GROUPING SETS — the cost is the number of groups, not
/// of deals. A closed deal counts as reported when a live report for its dealId exists that is not its CRM import.
/// The pure assembly of the answers is in <see cref="CoverageAggregation"/> and <see cref="DataQuality"/>.
/// </summary>
public sealed class CoverageFacts(ReadStore read, Db db)
{
    private static string Period(Granularity g) => g switch
    {
        Granularity.Week => "lpad(isoyear(d.closed_on)::VARCHAR, 4, '0') || '-W' || lpad(week(d.closed_on)::VARCHAR, 2, '0')",
        Granularity.Month => "lpad(year(d.closed_on)::VARCHAR, 4, '0') || '-' || lpad(month(d.closed_on)::VARCHAR, 2, '0')",
        _ => "lpad(year(d.closed_on)::VARCHAR, 4, '0') || '-Q' || quarter(d.closed_on)::VARCHAR",
    };

    /// <summary>Filter on closed deal d (with its rep's report r and the rep u); values always as parameters.</summary>
    private static string DealWhere(CoverageFilter f, DynamicParameters p)
    {
        var where = new StringBuilder("TRUE");
        if (f.From is { } from) { where.Append(" AND d.closed_on >= CAST($from AS DATE)"); p.Add("from", Day(from)); }
        if (f.To is { } to) { where.Append(" AND d.closed_on <= CAST($to AS DATE)"); p.Add("to", Day(to)); }
        if (f.RepId is { } rep) { where.Append(" AND d.rep_id = $rep"); p.Add("rep", rep); }
        if (f.Segment is not null) { where.Append(" AND COALESCE(d.segment, r.segment) = $segment"); p.Add("segment", f.Segment); }
        if (f.Region is not null) { where.Append(" AND COALESCE(d.region_key, r.region_key) = $region"); p.Add("region", ReportProjection.Fold(f.Region)); }
        if (f.Product is not null) { where.Append(" AND COALESCE(d.product_key, r.product_key) = $product"); p.Add("product", ReportProjection.Fold(f.Product)); }
        if (f.Team is not null) { where.Append(" AND lower(u.team) = lower($team)"); p.Add("team", f.Team); }
        return where.ToString();
    }

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private const string DealsFrom =
        """
        FROM closed_deals d
        LEFT JOIN reports r ON r.deal_id = d.deal_id AND r.id IS DISTINCT FROM d.imported_report_id
        LEFT JOIN users u ON u.id = d.rep_id
        """;

    /// <summary>Days from the close to the filing of the rep's report (whole UTC days, never negative).</summary>
    private const string DaysToReport =
        "CASE WHEN r.id IS NULL THEN NULL ELSE greatest(0, date_diff('day', d.closed_on, CAST(left(r.created_at, 10) AS DATE))) END";

    public async Task<List<CoverageCell>> CoverageAsync(CoverageFilter f, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var sql = $"""
            WITH f AS (
                SELECT {Period(f.Granularity)} AS period, d.rep_id::VARCHAR AS rep, COALESCE(u.team, '') AS team,
                       COALESCE(d.segment, r.segment, '') AS segment, d.outcome, r.id IS NOT NULL AS reported, {DaysToReport} AS days
                {DealsFrom}
                WHERE {DealWhere(f, p)}
            )
            SELECT CASE WHEN GROUPING(period) = 0 THEN 'period' WHEN GROUPING(rep) = 0 THEN 'rep' WHEN GROUPING(team) = 0 THEN 'team'
                        WHEN GROUPING(segment) = 0 THEN 'segment' ELSE 'overall' END AS Dim,
                   COALESCE(period, rep, team, segment, '') AS Key, COALESCE(outcome, '*') AS Outcome,
                   count(*)::BIGINT AS Known, count_if(reported)::BIGINT AS Reported, median(days)::DOUBLE AS MedianDays
            FROM f
            GROUP BY GROUPING SETS ((), (outcome), (period), (period, outcome), (rep), (rep, outcome),
                                    (team), (team, outcome), (segment), (segment, outcome))
            """;
        await using var duck = await read.ConnectAsync(cancellationToken);
        return duck.Query<CoverageCell>(sql, p).ToList();
    }

    /// <summary>Known and reported closed deals per outcome in a trend's slice (see <see cref="TrendCoverage"/>).</summary>
    public async Task<List<CoverageCell>> SliceAsync(CoverageFilter f, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var sql = $"""
            SELECT 'overall' AS Dim, '' AS Key, COALESCE(d.outcome, '*') AS Outcome, count(*)::BIGINT AS Known, count(r.id)::BIGINT AS Reported,
                   median({DaysToReport})::DOUBLE AS MedianDays
            {DealsFrom}
            WHERE {DealWhere(f, p)}
            GROUP BY GROUPING SETS ((), (d.outcome))
            """;
        await using var duck = await read.ConnectAsync(cancellationToken);
        return duck.Query<CoverageCell>(sql, p).ToList();
    }

    /// <summary>
    /// Data-quality counts of the reports reps filed (not CRM imports) per rep, per team and overall. Reports match the
    /// filter on their own values.
    /// </summary>
    public async Task<List<QualityCell>> QualityAsync(CoverageFilter f, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var where = new StringBuilder("NOT EXISTS (SELECT 1 FROM closed_deals d WHERE d.imported_report_id = r.id)");
        if (f.From is { } from) { where.Append(" AND r.closed_on >= CAST($from AS DATE)"); p.Add("from", Day(from)); }
        if (f.To is { } to) { where.Append(" AND r.closed_on <= CAST($to AS DATE)"); p.Add("to", Day(to)); }
        if (f.Segment is not null) { where.Append(" AND r.segment = $segment"); p.Add("segment", f.Segment); }
        if (f.Region is not null) { where.Append(" AND r.region_key = $region"); p.Add("region", ReportProjection.Fold(f.Region)); }
        if (f.Product is not null) { where.Append(" AND r.product_key = $product"); p.Add("product", ReportProjection.Fold(f.Product)); }
        if (f.Team is not null) { where.Append(" AND lower(u.team) = lower($team)"); p.Add("team", f.Team); }
        var sql = $"""
            WITH rr AS (
                SELECT r.id, r.rep_id::VARCHAR AS rep, COALESCE(u.team, '') AS team,
                       greatest(0, date_diff('day', r.closed_on, CAST(left(r.created_at, 10) AS DATE))) AS days
                FROM reports r LEFT JOIN users u ON u.id = r.rep_id
                WHERE {where}
            ),
            c AS (SELECT report_id, count(*) AS n, count(*) FILTER (WHERE competitor_id IS NULL) AS unmatched FROM report_competitors GROUP BY report_id),
            x AS (SELECT report_id, count(*) AS n, count(*) FILTER (WHERE NOT has_detail) AS no_detail,
                         arg_min(category, CASE WHEN is_primary THEN 0 ELSE 1000000 END + position) AS primary_category
                  FROM report_reasons GROUP BY report_id),
            o AS (SELECT report_id, count(*) AS n, count(*) FILTER (WHERE competitor_name IS NULL) AS no_competitor FROM report_objections GROUP BY report_id)
            SELECT CASE WHEN GROUPING(rr.rep) = 0 THEN 'rep' WHEN GROUPING(rr.team) = 0 THEN 'team' ELSE 'overall' END AS Dim,
                   COALESCE(rr.rep, rr.team, '') AS Key, COALESCE(rr.team, '') AS Team,
                   count(*)::BIGINT AS Reports, median(rr.days)::DOUBLE AS MedianDays,
                   count(*) FILTER (WHERE c.n IS NULL)::BIGINT AS NoCompetitor,
                   count(*) FILTER (WHERE x.primary_category = 'other')::BIGINT AS OtherPrimary, count(x.n)::BIGINT AS WithReason,
                   COALESCE(sum(x.no_detail), 0)::BIGINT AS ReasonsWithoutDetail, COALESCE(sum(x.n), 0)::BIGINT AS Reasons,
                   COALESCE(sum(o.no_competitor), 0)::BIGINT AS ObjectionsWithoutCompetitor, COALESCE(sum(o.n), 0)::BIGINT AS Objections,
                   count(*) FILTER (WHERE rr.days > {DataQuality.LateAfterDays})::BIGINT AS Late,
                   COALESCE(sum(c.unmatched), 0)::BIGINT AS Unmatched, COALESCE(sum(c.n), 0)::BIGINT AS Competitors
            FROM rr LEFT JOIN c ON c.report_id = rr.id LEFT JOIN x ON x.report_id = rr.id LEFT JOIN o ON o.report_id = rr.id
            GROUP BY GROUPING SETS ((rr.rep, rr.team), (rr.team), ())
            """;
        await using var duck = await read.ConnectAsync(cancellationToken);
        return duck.Query<QualityRowData>(sql, p).Select(r => new QualityCell(r.Dim, r.Key, r.Team, new QualityCounts(r.Reports, r.MedianDays,
        [
            r.NoCompetitor, r.Reports, r.OtherPrimary, r.WithReason, r.ReasonsWithoutDetail, r.Reasons,
            r.ObjectionsWithoutCompetitor, r.Objections, r.Late, r.Reports, r.Unmatched, r.Competitors,
        ]))).ToList();
    }

    /// <summary>Reps by id, with name and team, for labels (a few hundred rows, from the write store: always current).</summary>
    public async Task<Dictionary<long, RepInfo>> RepsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<RepInfo>(new CommandDefinition(
            "SELECT id AS Id, display_name AS Name, team AS Team FROM users WHERE role = 'rep'", cancellationToken: cancellationToken))).ToDictionary(r => r.Id);
    }

    private sealed class QualityRowData
    {
        public string Dim { get; init; } = "";
        public string Key { get; init; } = "";
        public string Team { get; init; } = "";
        public long Reports { get; init; }
        public double? MedianDays { get; init; }
        public long NoCompetitor { get; init; }
        public long OtherPrimary { get; init; }
        public long WithReason { get; init; }
        public long ReasonsWithoutDetail { get; init; }
        public long Reasons { get; init; }
        public long ObjectionsWithoutCompetitor { get; init; }
        public long Objections { get; init; }
        public long Late { get; init; }
        public long Unmatched { get; init; }
        public long Competitors { get; init; }
    }
}
