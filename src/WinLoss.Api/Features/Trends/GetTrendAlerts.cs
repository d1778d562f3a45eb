using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// What is rising now, worst (highest z) first: objection categories (share of deals) and competitors (share of
/// lost deals naming them), the period holding <c>to</c> (default today, UTC) against the period before, by the
/// pooled two-proportion one-sided z-test at z ≥ 1.645. Only rising items are listed.
/// </summary>
public sealed record GetTrendAlerts(TrendParameters Parameters) : IQuery<TrendAlerts>;

public sealed record TrendAlerts(string Granularity, string Period, string PreviousPeriod, int MinSample, IReadOnlyList<TrendAlert> Alerts);

/// <summary>kind: "objection" (category set) or "competitor_loss_share" (competitor set).</summary>
public sealed record TrendAlert(string Kind, string? Category, TrendCompetitor? Competitor, TrendRate Current, TrendRate Previous, double Delta, double Z);

public sealed class GetTrendAlertsValidator : AbstractValidator<GetTrendAlerts>
{
    public GetTrendAlertsValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetTrendAlertsHandler(Db db) : IQueryHandler<GetTrendAlerts, TrendAlerts>
{
    private static readonly string[] FactKinds = [Kinds.Deal, Kinds.Objection, Kinds.Competitor];

    public async ValueTask<TrendAlerts> Handle(GetTrendAlerts query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var g = f.Granularity;
        var day = f.To ?? Infrastructure.Database.Clock.TodayUtc();
        var current = Statistics.PeriodLabel(day, g);
        var previousStart = Statistics.PreviousPeriodStart(day, g);
        var previous = Statistics.PeriodLabel(previousStart, g);
        await using var c = await db.OpenAsync(cancellationToken);
        var data = await TrendReader.ReadAsync(c, f with { From = previousStart, To = day }, FactKinds, needsCompetitorDetail: false, cancellationToken);

        var deals = data.Of(Kinds.Deal).GroupBy(x => x.Bucket).ToDictionary(x => x.Key, x => (All: x.Sum(y => y.C[0]), Lost: x.Sum(y => y.C[2])));
        var (allNow, lostNow) = deals.GetValueOrDefault(current);
        var (allBefore, lostBefore) = deals.GetValueOrDefault(previous);
        var candidates = new List<(string Kind, string Key, long XBefore, long NBefore, long XNow, long NNow)>();
        foreach (var cat in data.Of(Kinds.Objection).Where(x => x.K2 == CompetitorKey.Any).GroupBy(x => x.K1))
            candidates.Add(("objection", cat.Key, cat.Where(x => x.Bucket == previous).Sum(x => x.C[1]), allBefore,
                cat.Where(x => x.Bucket == current).Sum(x => x.C[1]), allNow));
        foreach (var comp in data.Of(Kinds.Competitor).Where(x => x.K3 == "a" && x.K1 != CompetitorKey.None).GroupBy(x => x.K1))
            candidates.Add(("competitor_loss_share", comp.Key, comp.Where(x => x.Bucket == previous).Sum(x => x.C[2]), lostBefore,
                comp.Where(x => x.Bucket == current).Sum(x => x.C[2]), lostNow));

        var rising = candidates
            .Select(x => (x, Z: Statistics.PooledZ(x.XBefore, x.NBefore, x.XNow, x.NNow)))
            .Where(x => Statistics.IsRising(x.Z))
            .OrderByDescending(x => x.Z).ThenBy(x => x.x.Key, StringComparer.Ordinal)
            .ToList();
        var names = await TrendFormat.CompetitorsAsync(c, rising.Where(x => x.x.Kind != "objection").Select(x => x.x.Key), cancellationToken);
        var alerts = rising.Select(r => new TrendAlert(r.x.Kind,
            r.x.Kind == "objection" ? r.x.Key : null, r.x.Kind == "objection" ? null : names[r.x.Key],
            TrendRate.Of(r.x.XNow, r.x.NNow, f.MinSample), TrendRate.Of(r.x.XBefore, r.x.NBefore, f.MinSample),
            TrendRate.Round((double)r.x.XNow / r.x.NNow - (double)r.x.XBefore / r.x.NBefore), Math.Round(r.Z!.Value, 3))).ToList();
        return new TrendAlerts(f.GranularityName, current, previous, f.MinSample, alerts);
    }

    public static readonly string[] CsvColumns = ["kind", "category", "competitorId", "competitor", "current", "currentN", "currentLow", "currentHigh", "previous", "previousN", "delta", "z"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/alerts", Endpoint)
            .WithName("GetTrendAlerts")
            .WithSummary("Rising objections and competitor loss shares, this period vs the one before, worst first (format=csv for a file)")
            .WithDescription("CSV columns: " + string.Join(",", CsvColumns))
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<TrendAlerts>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetTrendAlerts(parameters), cancellationToken);
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        TrendFormat.EnsureMayExport(Caller.From(http.User));
        return TrendFormat.Csv("trend-alerts.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var a in result.Alerts)
            {
                csv.Text(a.Kind).Text(a.Category).Number(a.Competitor?.Id).Text(a.Competitor?.Name)
                    .Number(a.Current.Value).Number(a.Current.N).Number(a.Current.Ci95?[0]).Number(a.Current.Ci95?[1])
                    .Number(a.Previous.Value).Number(a.Previous.N).Number(a.Delta).Number(a.Z);
                await csv.EndRowAsync(ct);
            }
        });
    }
}

/// <summary>
/// Head-to-head profile of one catalogue competitor: win-rate series, top loss reasons (share of the deals lost
/// where they were named), top objections naming them, results by segment, and messages used against them.
/// </summary>
public sealed record GetCompetitorProfile(long Id, TrendParameters Parameters) : IQuery<CompetitorProfile>;

public sealed record CompetitorProfile(
    TrendCompetitor Competitor, string Granularity, string? From, string? To, int MinSample,
    IReadOnlyList<CompetitorTrendRow> Series, CompetitorTrendRow Overall,
    IReadOnlyList<ReasonTrendRow> TopLossReasons, IReadOnlyList<ProfileObjection> TopObjections,
    IReadOnlyList<ProfileSegment> BySegment, IReadOnlyList<ProfileMessage> Messages);

public sealed record ProfileObjection(string Category, long Mentions, long Deals, TrendRate OvercomeRate);
public sealed record ProfileSegment(string Segment, long Deals, long Won, long Lost, long NoDecision, TrendRate WinRate);
public sealed record ProfileMessage(string MessageId, long Uses, long Resonated, long Neutral, long FellFlat, TrendRate ResonanceRate);

public sealed class GetCompetitorProfileValidator : AbstractValidator<GetCompetitorProfile>
{
    public GetCompetitorProfileValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetCompetitorProfileHandler(Db db) : IQueryHandler<GetCompetitorProfile, CompetitorProfile>
{
    private static readonly string[] FactKinds = [Kinds.Competitor, Kinds.Reason, Kinds.Objection, Kinds.Message];
    private static readonly string[] SegmentKinds = [Kinds.Competitor];

    public async ValueTask<CompetitorProfile> Handle(GetCompetitorProfile query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        await using var c = await db.OpenAsync(cancellationToken);
        var key = await TrendFormat.CompetitorKeyAsync(c, query.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken)
                  ?? throw new NotFoundException($"Competitor {query.Id} not found.");
        var competitor = (await TrendFormat.CompetitorsAsync(c, [key], cancellationToken))[key]!;
        var data = await TrendReader.ReadAsync(c, f, FactKinds, needsCompetitorDetail: true, cancellationToken);

        var mine = data.Of(Kinds.Competitor).Where(x => x.K1 == key && x.K3 == "a").ToList();
        var series = mine.GroupBy(x => x.Bucket).OrderBy(x => x.Key, StringComparer.Ordinal)
            .Select(g => Row(g.Key, competitor, g.Select(x => (x.K2, x.C)), f.MinSample)).ToList();
        var overall = Row(null, competitor, mine.Select(x => (x.K2, x.C)), f.MinSample);
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

        var bySegment = new List<ProfileSegment>();
        foreach (var (segment, filter) in Groups.Of(f with { Granularity = Granularity.Quarter }, "segment"))
        {
            var d = (await TrendReader.ReadAsync(c, filter, SegmentKinds, needsCompetitorDetail: false, cancellationToken))
                .Of(Kinds.Competitor).Where(x => x.K1 == key && x.K3 == "a").ToList();
            if (d.Count == 0) continue;
            long won = d.Sum(x => x.C[1]), lostHere = d.Sum(x => x.C[2]);
            bySegment.Add(new ProfileSegment(segment, d.Sum(x => x.C[0]), won, lostHere, d.Sum(x => x.C[3]), TrendRate.Of(won, won + lostHere, f.MinSample)));
        }
        return new CompetitorProfile(competitor, f.GranularityName, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample,
            series, overall, reasons, objections, bySegment, messages);
    }

    private static CompetitorTrendRow Row(string? period, TrendCompetitor competitor, IEnumerable<(string Currency, long[] C)> facts, int minSample)
    {
        var list = facts.ToList();
        long deals = list.Sum(x => x.C[0]), won = list.Sum(x => x.C[1]), lost = list.Sum(x => x.C[2]), nd = list.Sum(x => x.C[3]);
        return new CompetitorTrendRow(period, competitor, deals, won, lost, nd, TrendRate.Of(won, won + lost, minSample), TrendRate.Of(nd, deals, minSample),
            TrendFormat.Money(list.Select(x => (x.Currency, x.C[4]))), TrendFormat.Money(list.Select(x => (x.Currency, x.C[5]))));
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
        var result = await sender.Send(new GetCompetitorProfile(id, parameters), cancellationToken);
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        TrendFormat.EnsureMayExport(Caller.From(http.User));
        return TrendFormat.Csv($"competitor-{id}-profile.csv", async (csv, ct) =>
        {
            csv.Header(GetCompetitorTrendHandler.CsvColumns);
            foreach (var r in result.Series.Append(result.Overall))
            {
                csv.Text(r.Period ?? "all").Number(r.Competitor?.Id).Text(r.Competitor?.Name).Bool(r.Competitor?.Matched)
                    .Number(r.Deals).Number(r.Won).Number(r.Lost).Number(r.NoDecision)
                    .Number(r.WinRate.Value).Number(r.WinRate.N).Number(r.WinRate.Ci95?[0]).Number(r.WinRate.Ci95?[1]).Bool(r.WinRate.LowSample)
                    .Number(r.NoDecisionRate.Value).Number(r.NoDecisionRate.Ci95?[0]).Number(r.NoDecisionRate.Ci95?[1])
                    .Text(TrendFormat.MoneyCell(r.RevenueWon)).Text(TrendFormat.MoneyCell(r.RevenueLost));
                await csv.EndRowAsync(ct);
            }
        });
    }
}
