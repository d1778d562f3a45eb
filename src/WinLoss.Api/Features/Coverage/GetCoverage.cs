using FluentValidation;
using Mediator;
using WinLoss.Api.Infrastructure.Auth;

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

public sealed class GetCoverageHandler(CoverageFacts facts) : IQueryHandler<GetCoverage, CoverageAnswer>
{

    public async ValueTask<CoverageAnswer> Handle(GetCoverage query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var cells = await facts.CoverageAsync(f, cancellationToken);
        return Answer(f, cells, await facts.RepsAsync(cancellationToken));
    }

    public static CoverageAnswer Answer(CoverageFilter f, IReadOnlyCollection<CoverageCell> cells, IReadOnlyDictionary<long, RepInfo> reps)
    {
        var (overall, periods, byRep, teams, segments) = CoverageAggregation.Build(cells, reps, f.MinSample);
        var warnings = new List<string>();
        if (overall.Bias.Warning) warnings.Add(CoverageAggregation.Warning("All reps", overall.Bias));
        warnings.AddRange(byRep.Where(r => r.Bias.Warning).Select(r => CoverageAggregation.Warning(r.Label ?? r.Key, r.Bias)));
        return new CoverageAnswer
        {
            From = f.FromText, To = f.ToText, Granularity = f.Granularity.ToString().ToLowerInvariant(), MinSample = f.MinSample,
            Overall = overall, Periods = periods, Reps = byRep, Teams = teams, Segments = segments, Warnings = warnings,
        };
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/coverage", Endpoint)
            .WithName("GetCoverage")
            .WithSummary("Coverage: which closed deals the reports rest on")
            .WithDescription("Per period, rep, team and segment, split by outcome: closed deals known, reported by reps, coverage with Wilson 95% interval, median days from close to report; selection-bias warning (two-proportion z-test, two-sided, |z| ≥ 1.96, at least 10 won and 10 lost deals).")
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<CoverageAnswer>(StatusCodes.Status200OK, "application/json", "text/csv")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);

    private static async Task<IResult> Endpoint(
        string? from, string? to, string? segment, string? region, string? product, string? team, string? repId,
        string? granularity, string? minSample, string? format, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        if (format == "csv") CoverageCsv.EnsureMayExport(Caller.From(http.User));
        var answer = await sender.Send(new GetCoverage(new CoverageParameters
        {
            From = from, To = to, Segment = segment, Region = region, Product = product, Team = team, RepId = repId,
            Granularity = granularity, MinSample = minSample, Format = format,
        }), cancellationToken);
        return format == "csv" ? new CoverageCsv(answer) : TypedResults.Ok(answer);
    }
}
