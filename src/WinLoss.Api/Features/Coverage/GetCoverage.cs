using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// How much of the closed pipeline the reports cover: closed deals known (CRM import or push), deals with a rep's report,
/// coverage with its Wilson interval and median days from close to report — overall and per period, rep, team and
/// segment, each split by outcome, with a selection-bias warning where win and loss coverage differ beyond chance.
/// </summary>
public sealed record GetCoverage(CoverageParameters Parameters) : IQuery<CoverageAnswer>;

public sealed record CoverageAnswer
{
    public string? From { get; init; }
    public string? To { get; init; }
    public required string Granularity { get; init; }
    public int MinSample { get; init; }
    public required CoverageGroup Overall { get; init; }
    public required IReadOnlyList<CoverageGroup> Periods { get; init; }
    /// <summary>Reps with a bias warning first, then lowest coverage first.</summary>
    public required IReadOnlyList<CoverageGroup> Reps { get; init; }
    public required IReadOnlyList<CoverageGroup> Teams { get; init; }
    public required IReadOnlyList<CoverageGroup> Segments { get; init; }
    /// <summary>One sentence per selection-bias warning: overall first, then per rep.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }
}

public sealed class GetCoverageValidator : AbstractValidator<GetCoverage>
{
    public GetCoverageValidator() => RuleFor(x => x.Parameters).Custom((p, context) => p.Check((field, message) => context.AddFailure(field, message)));
}

public sealed class GetCoverageHandler(Db db) : IQueryHandler<GetCoverage, CoverageAnswer>
{
    /// <summary>Every known closed deal of the filter, with the filing time of its rep's report (null: still waiting).</summary>
    private const string FactsSql =
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
    private const string RepsSql = "SELECT id AS Id, display_name AS Name, team AS Team FROM users WHERE role = 'rep'";

    public async ValueTask<CoverageAnswer> Handle(GetCoverage query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        await using var c = await db.OpenAsync(cancellationToken);
        var reps = (await c.QueryAsync<RepInfo>(new CommandDefinition(RepsSql, cancellationToken: cancellationToken))).ToDictionary(r => r.Id);
        var rows = await c.QueryAsync<FactRow>(new CommandDefinition(FactsSql, new
        {
            from = f.FromText, to = f.ToText, repId = f.RepId, segment = f.Segment, region = f.Region, product = f.Product,
        }, cancellationToken: cancellationToken));
        var facts = rows
            .Where(r => f.Team is null || string.Equals(reps.GetValueOrDefault(r.RepId)?.Team, f.Team, StringComparison.OrdinalIgnoreCase))
            .Select(r => new DealFact(CoverageText.Date(r.ClosedOn), r.RepId, r.Segment, r.Outcome,
                r.ReportedAt is null ? null : CoverageText.DaysBetween(r.ClosedOn, r.ReportedAt)))
            .ToList();
        return Answer(f, facts, reps);
    }

    public static CoverageAnswer Answer(CoverageFilter f, IReadOnlyCollection<DealFact> facts, IReadOnlyDictionary<long, RepInfo> reps)
    {
        var overall = CoverageAggregation.Group("all", facts, f.MinSample, "All closed deals");
        var byRep = CoverageAggregation.ByRep(facts, reps, f.MinSample);
        var warnings = new List<string>();
        if (overall.Bias.Warning) warnings.Add(CoverageAggregation.Warning("All reps", overall.Bias));
        warnings.AddRange(byRep.Where(r => r.Bias.Warning).Select(r => CoverageAggregation.Warning(r.Label ?? r.Key, r.Bias)));
        return new CoverageAnswer
        {
            From = f.FromText, To = f.ToText, Granularity = f.Granularity.ToString().ToLowerInvariant(), MinSample = f.MinSample,
            Overall = overall,
            Periods = CoverageAggregation.ByPeriod(facts, f.Granularity, f.MinSample),
            Reps = byRep,
            Teams = CoverageAggregation.ByTeam(facts, reps, f.MinSample),
            Segments = CoverageAggregation.BySegment(facts, f.MinSample),
            Warnings = warnings,
        };
    }

    private sealed class FactRow
    {
        public string ClosedOn { get; init; } = "";
        public long RepId { get; init; }
        public string? Segment { get; init; }
        public string Outcome { get; init; } = "";
        public string? ReportedAt { get; init; }
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/coverage", Endpoint)
            .WithName("GetCoverage")
            .WithSummary("Coverage: which closed deals the reports rest on")
            .WithDescription("Per period, rep, team and segment, split by outcome: closed deals known, reported by reps, coverage with Wilson 95% interval, median days from close to report; selection-bias warning (two-proportion z-test, two-sided, |z| ≥ 1.96, at least 10 won and 10 lost deals).")
            .RequireAuthorization(Policies.ReadTrends)
            .ProducesValidationProblem();

    private static async Task<Ok<CoverageAnswer>> Endpoint(
        string? from, string? to, string? segment, string? region, string? product, string? team, string? repId,
        string? granularity, string? minSample, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetCoverage(new CoverageParameters
        {
            From = from, To = to, Segment = segment, Region = region, Product = product, Team = team, RepId = repId,
            Granularity = granularity, MinSample = minSample,
        }), cancellationToken));
}
