using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Head-to-head profile of one catalogue competitor: win-rate series, top loss reasons (share of the deals lost
/// where they were named), top objections naming them, results by segment, and messages used against them.
/// </summary>
public sealed record GetCompetitorProfile(long Id, TrendParameters Parameters) : IQuery<CompetitorProfile>;

public sealed record CompetitorProfile(
    TrendCompetitor Competitor, string Granularity, string? From, string? To, int MinSample,
    IReadOnlyList<CompetitorTrendRow> Series, CompetitorTrendRow Overall,
    IReadOnlyList<ReasonTrendRow> TopLossReasons, IReadOnlyList<ProfileObjection> TopObjections,
    IReadOnlyList<ProfileSegment> BySegment, IReadOnlyList<ProfileMessage> Messages, string? AsOf);

public sealed record ProfileObjection(string Category, long Mentions, long Deals, TrendRate OvercomeRate);
public sealed record ProfileSegment(string Segment, long Deals, long Won, long Lost, long NoDecision, TrendRate WinRate);
public sealed record ProfileMessage(string MessageId, long Uses, long Resonated, long Neutral, long FellFlat, TrendRate ResonanceRate);

public sealed class GetCompetitorProfileValidator : AbstractValidator<GetCompetitorProfile>
{
    public GetCompetitorProfileValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetCompetitorProfileHandler(Db db, ReadStore read) : IQueryHandler<GetCompetitorProfile, CompetitorProfile>
{
    public async ValueTask<CompetitorProfile> Handle(GetCompetitorProfile query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var key = await TrendFormat.CompetitorKeyAsync(db, query.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken)
                  ?? throw new NotFoundException($"Competitor {query.Id} not found.");
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var competitor = (await TrendFormat.CompetitorsAsync(db, duck, [key], cancellationToken))[key]!;
        // The series per period; reasons, objections and messages over the whole range (one bucket); the segments.
        var mine = TrendFactsQuery.Read(duck, f, new FactRequest(new CompetitorFacts(Only: key))).Of(Kinds.Competitor).ToList();
        var data = TrendFactsQuery.Read(duck, f,
            new FactRequest([new ReasonFacts(AllDeals: false, PerCompetitor: true, Only: key), new ObjectionFacts(key),
                new MessageFacts(AllDeals: false, PerCompetitor: true, Only: key)], GroupBy: TrendFactsQuery.AllDeals));
        var series = mine.GroupBy(x => x.Bucket).OrderBy(x => x.Key, StringComparer.Ordinal)
            .Select(g => CompetitorTrendRow.Of(g.Key, competitor, g.Select(x => (x.K2, x.C)), f.MinSample)).ToList();
        var overall = CompetitorTrendRow.Of(null, competitor, mine.Select(x => (x.K2, x.C)), f.MinSample);
        var lost = overall.Lost;
        var reasons = data.Of(Kinds.Reason).Where(x => x.K3 == key && x.K2 == "lost").GroupBy(x => x.K1)
            .Select(g => new ReasonTrendRow(null, competitor, g.Key, g.Sum(x => x.C[0]), g.Sum(x => x.C[1]), TrendRate.Of(g.Sum(x => x.C[0]), lost, f.MinSample)))
            .OrderByDescending(r => r.Deals).ThenBy(r => r.Category, StringComparer.Ordinal).Take(10).ToList();
        var objections = data.Of(Kinds.Objection).Where(x => x.K2 == key).GroupBy(x => x.K1)
            .Select(g => new ProfileObjection(g.Key, g.Sum(x => x.C[0]), g.Sum(x => x.C[1]), TrendRate.Of(g.Sum(x => x.C[2]), g.Sum(x => x.C[0]), f.MinSample)))
            .OrderByDescending(r => r.Deals).ThenByDescending(r => r.Mentions).ThenBy(r => r.Category, StringComparer.Ordinal).Take(10).ToList();
        var messages = data.Of(Kinds.Message).Where(x => x.K2 == key).GroupBy(x => x.K1)
            .Select(g => new ProfileMessage(g.Key, g.Sum(x => x.C[0]), g.Sum(x => x.C[1]), g.Sum(x => x.C[2]), g.Sum(x => x.C[3]), TrendRate.Of(g.Sum(x => x.C[1]), g.Sum(x => x.C[0]), f.MinSample)))
            .OrderByDescending(r => r.Resonated).ThenByDescending(r => r.Uses).ThenBy(r => r.MessageId, StringComparer.Ordinal).ToList();

        var segments = TrendFactsQuery.Read(duck, f, new FactRequest([new CompetitorFacts(Only: key)], GroupBy: "segment"))
            .Of(Kinds.Competitor).GroupBy(x => x.Bucket).ToDictionary(g => g.Key, g => g.ToList());
        var bySegment = new List<ProfileSegment>();
        foreach (var segment in Reports.ReportRules.Segments)
        {
            if (!segments.TryGetValue(segment, out var d)) continue;
            long won = d.Sum(x => x.C[1]), lostHere = d.Sum(x => x.C[2]);
            bySegment.Add(new ProfileSegment(segment, d.Sum(x => x.C[0]), won, lostHere, d.Sum(x => x.C[3]), TrendRate.Of(won, won + lostHere, f.MinSample)));
        }
        return new CompetitorProfile(competitor, f.GranularityName, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample,
            series, overall, reasons, objections, bySegment, messages, asOf);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}/profile", Endpoint)
            .WithName("GetCompetitorProfile")
            .WithSummary("Head-to-head profile of a competitor: win-rate series, loss reasons, objections, segments, messages (format=csv: the series)")
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<CompetitorProfile>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<IResult> Endpoint(long id, [AsParameters] TrendParameters parameters, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetCompetitorProfile(id, parameters), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv($"competitor-{id}-profile.csv", (csv, ct) => CompetitorTrendRow.WriteCsvAsync(csv, result.Series.Append(result.Overall), ct));
    }
}
