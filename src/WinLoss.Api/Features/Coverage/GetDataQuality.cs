using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;

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

public sealed class GetDataQualityHandler(CoverageFacts facts) : IQueryHandler<GetDataQuality, DataQualityAnswer>
{

    public async ValueTask<DataQualityAnswer> Handle(GetDataQuality query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var cells = await facts.QualityAsync(f, cancellationToken);
        var (repRows, teamRows, overall) = DataQuality.Build(cells, await facts.RepsAsync(cancellationToken));
        return new DataQualityAnswer
        {
            From = f.FromText, To = f.ToText, LateAfterDays = DataQuality.LateAfterDays, Metrics = DataQuality.MetricNames,
            Overall = overall,
            Reps = f.RepId is null ? repRows : repRows.Where(r => r.RepId == f.RepId).ToList(),
            Teams = teamRows,
        };
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
