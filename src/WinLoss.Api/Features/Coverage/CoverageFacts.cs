using Dapper;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// The two queries coverage and data quality rest on: one row per known closed deal (with the filing time of its rep's
/// report) and one row per rep's report (with the counts data quality needs). Aggregation is pure C#
/// (<see cref="CoverageAggregation"/>, <see cref="DataQuality"/>).
/// </summary>
public sealed class CoverageFacts(Db db)
{
    /// <summary>Every known closed deal of the filter, with the filing time of its rep's report (null: still waiting).</summary>
    private const string DealsSql =
        """
        SELECT d.closed_on AS ClosedOn, d.rep_id AS RepId, COALESCE(d.segment, r.segment) AS Segment, d.outcome AS Outcome,
               r.created_at AS ReportedAt
        FROM closed_deals d
        LEFT JOIN reports r ON r.deal_id = d.deal_id AND r.deleted_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM crm_import_deals i WHERE i.report_id = r.id)
        WHERE (@from IS NULL OR d.closed_on >= @from) AND (@to IS NULL OR d.closed_on <= @to)
          AND (@repId IS NULL OR d.rep_id = @repId)
          AND (@segment IS NULL OR COALESCE(d.segment, r.segment) = @segment)
          AND (@region IS NULL OR COALESCE(d.region, r.region) = @region COLLATE NOCASE)
          AND (@product IS NULL OR COALESCE(d.product, r.product) = @product COLLATE NOCASE)
        """;

    private const string ReportsSql =
        """
        SELECT r.rep_id AS RepId, r.closed_on AS ClosedOn, r.created_at AS CreatedAt,
               (SELECT COUNT(*) FROM report_competitors c WHERE c.report_id = r.id) AS Competitors,
               (SELECT COUNT(*) FROM report_competitors c WHERE c.report_id = r.id AND c.competitor_id IS NULL) AS UnmatchedCompetitors,
               (SELECT COUNT(*) FROM report_reasons x WHERE x.report_id = r.id) AS Reasons,
               (SELECT COUNT(*) FROM report_reasons x WHERE x.report_id = r.id AND COALESCE(TRIM(x.detail), '') = '') AS ReasonsWithoutDetail,
               (SELECT x.category FROM report_reasons x WHERE x.report_id = r.id ORDER BY x.is_primary DESC, x.position LIMIT 1) AS PrimaryReason,
               (SELECT COUNT(*) FROM report_objections o WHERE o.report_id = r.id) AS Objections,
               (SELECT COUNT(*) FROM report_objections o WHERE o.report_id = r.id AND o.competitor IS NULL) AS ObjectionsWithoutCompetitor
        FROM reports r
        WHERE r.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM crm_import_deals i WHERE i.report_id = r.id)
          AND (@from IS NULL OR r.closed_on >= @from) AND (@to IS NULL OR r.closed_on <= @to)
          AND (@segment IS NULL OR r.segment = @segment)
          AND (@region IS NULL OR r.region = @region COLLATE NOCASE)
          AND (@product IS NULL OR r.product = @product COLLATE NOCASE)
        """;

    private const string RepsSql = "SELECT id AS Id, display_name AS Name, team AS Team FROM users WHERE role = 'rep'";

    public async Task<Dictionary<long, RepInfo>> RepsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<RepInfo>(new CommandDefinition(RepsSql, cancellationToken: cancellationToken))).ToDictionary(r => r.Id);
    }

    public async Task<List<DealFact>> DealsAsync(CoverageFilter f, IReadOnlyDictionary<long, RepInfo> reps, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<DealRow>(new CommandDefinition(DealsSql, new
        {
            from = f.FromText, to = f.ToText, repId = f.RepId, segment = f.Segment, region = f.Region, product = f.Product,
        }, cancellationToken: cancellationToken));
        return rows
            .Where(r => f.Team is null || string.Equals(reps.GetValueOrDefault(r.RepId)?.Team, f.Team, StringComparison.OrdinalIgnoreCase))
            .Select(r => new DealFact(CoverageText.Date(r.ClosedOn), r.RepId, r.Segment, r.Outcome,
                r.ReportedAt is null ? null : CoverageText.DaysBetween(r.ClosedOn, r.ReportedAt)))
            .ToList();
    }

    public async Task<List<ReportFact>> ReportsAsync(CoverageFilter f, IReadOnlyDictionary<long, RepInfo> reps, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<ReportRow>(new CommandDefinition(ReportsSql, new
        {
            from = f.FromText, to = f.ToText, segment = f.Segment, region = f.Region, product = f.Product,
        }, cancellationToken: cancellationToken));
        return rows
            .Where(r => f.Team is null || string.Equals(reps.GetValueOrDefault(r.RepId)?.Team, f.Team, StringComparison.OrdinalIgnoreCase))
            .Select(r => r.ToFact()).ToList();
    }

    private sealed class DealRow
    {
        public string ClosedOn { get; init; } = "";
        public long RepId { get; init; }
        public string? Segment { get; init; }
        public string Outcome { get; init; } = "";
        public string? ReportedAt { get; init; }
    }

    private sealed class ReportRow
    {
        public long RepId { get; init; }
        public string ClosedOn { get; init; } = "";
        public string CreatedAt { get; init; } = "";
        public int Competitors { get; init; }
        public int UnmatchedCompetitors { get; init; }
        public int Reasons { get; init; }
        public int ReasonsWithoutDetail { get; init; }
        public string? PrimaryReason { get; init; }
        public int Objections { get; init; }
        public int ObjectionsWithoutCompetitor { get; init; }

        public ReportFact ToFact() => new(RepId, CoverageText.DaysBetween(ClosedOn, CreatedAt), Competitors, UnmatchedCompetitors,
            Reasons, ReasonsWithoutDetail, PrimaryReason, Objections, ObjectionsWithoutCompetitor);
    }
}
