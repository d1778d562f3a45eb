using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// Data-quality diagnostics of the reports reps filed (CRM imports excluded): per rep and team, the share of reports
/// naming no competitor, with "other" as the primary reason, reasons without detail, objections without a competitor,
/// reports filed late (over 7 days after the close; plus median days to file) and competitor names still unmatched
/// (pending triage) — each with its n, compared with the rest of the team, worst first.
/// </summary>
public sealed record GetDataQuality(CoverageParameters Parameters) : IQuery<DataQualityAnswer>;

public sealed record DataQualityAnswer
{
    public string? From { get; init; }
    public string? To { get; init; }
    public int LateAfterDays { get; init; }
    public required IReadOnlyList<string> Metrics { get; init; }
    public required QualityRow Overall { get; init; }
    public required IReadOnlyList<QualityRow> Reps { get; init; }
    public required IReadOnlyList<QualityRow> Teams { get; init; }
}

public sealed class GetDataQualityValidator : AbstractValidator<GetDataQuality>
{
    public GetDataQualityValidator() => RuleFor(x => x.Parameters).Custom((p, context) => p.Check((field, message) => context.AddFailure(field, message)));
}

public sealed class GetDataQualityHandler(Db db) : IQueryHandler<GetDataQuality, DataQualityAnswer>
{
    private const string FactsSql =
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

    public async ValueTask<DataQualityAnswer> Handle(GetDataQuality query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        await using var c = await db.OpenAsync(cancellationToken);
        var reps = (await c.QueryAsync<RepInfo>(new CommandDefinition(RepsSql, cancellationToken: cancellationToken))).ToDictionary(r => r.Id);
        var rows = await c.QueryAsync<FactRow>(new CommandDefinition(FactsSql, new
        {
            from = f.FromText, to = f.ToText, segment = f.Segment, region = f.Region, product = f.Product,
        }, cancellationToken: cancellationToken));
        var facts = rows
            .Where(r => f.Team is null || string.Equals(reps.GetValueOrDefault(r.RepId)?.Team, f.Team, StringComparison.OrdinalIgnoreCase))
            .Select(r => r.ToFact()).ToList();
        var (repRows, teamRows, overall) = DataQuality.Build(facts, reps);
        return new DataQualityAnswer
        {
            From = f.FromText, To = f.ToText, LateAfterDays = DataQuality.LateAfterDays, Metrics = DataQuality.MetricNames,
            Overall = overall,
            Reps = f.RepId is null ? repRows : repRows.Where(r => r.RepId == f.RepId).ToList(),
            Teams = teamRows,
        };
    }

    private sealed class FactRow
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

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/diagnostics/data-quality", Endpoint)
            .WithTags("Diagnostics")
            .WithName("GetDataQuality")
            .WithSummary("Data quality of rep reports per rep and team, worst first")
            .WithDescription("Analysts and admins. Metrics: noCompetitor, otherPrimaryReason, reasonsWithoutDetail, objectionsWithoutCompetitor, lateFiling (> 7 days), unmatchedCompetitors; each with count, n, Wilson 95% interval, the rest of the team's share and a two-sided z-test (flagged when |z| ≥ 1.96).")
            .RequireAuthorization(Policies.ExportReports) // analyst and admin, as raw-report export
            .ProducesValidationProblem();

    private static async Task<Ok<DataQualityAnswer>> Endpoint(
        string? from, string? to, string? segment, string? region, string? product, string? team, string? repId,
        ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetDataQuality(new CoverageParameters
        {
            From = from, To = to, Segment = segment, Region = region, Product = product, Team = team, RepId = repId,
        }), cancellationToken));
}
