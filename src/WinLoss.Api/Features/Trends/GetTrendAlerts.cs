using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// What is rising now, worst (highest z) first: objection categories (share of deals) and competitors (share of
/// lost deals naming them), the period holding <c>to</c> (default today, UTC) against the period before, by the
/// pooled two-proportion one-sided z-test at z ≥ 1.645. Only rising items are listed.
/// </summary>
public sealed record GetTrendAlerts(TrendParameters Parameters) : IQuery<TrendAlerts>;

public sealed record TrendAlerts(string Granularity, string Period, string PreviousPeriod, int MinSample, IReadOnlyList<TrendAlert> Alerts, string? AsOf);

/// <summary>kind: "objection" (category set) or "competitor_loss_share" (competitor set).</summary>
public sealed record TrendAlert(string Kind, string? Category, TrendCompetitor? Competitor, TrendRate Current, TrendRate Previous, double Delta, double Z);

public sealed class GetTrendAlertsValidator : AbstractValidator<GetTrendAlerts>
{
    public GetTrendAlertsValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetTrendAlertsHandler(Db db, ReadStore read) : IQueryHandler<GetTrendAlerts, TrendAlerts>
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
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var data = TrendFactsQuery.Read(duck, f with { From = previousStart, To = day }, new FactRequest(FactKinds));

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
        var names = await TrendFormat.CompetitorsAsync(db, duck, rising.Where(x => x.x.Kind != "objection").Select(x => x.x.Key), cancellationToken);
        var alerts = rising.Select(r => new TrendAlert(r.x.Kind,
            r.x.Kind == "objection" ? r.x.Key : null, r.x.Kind == "objection" ? null : names[r.x.Key],
            TrendRate.Of(r.x.XNow, r.x.NNow, f.MinSample), TrendRate.Of(r.x.XBefore, r.x.NBefore, f.MinSample),
            TrendRate.Round((double)r.x.XNow / r.x.NNow - (double)r.x.XBefore / r.x.NBefore), Math.Round(r.Z!.Value, 3))).ToList();
        return new TrendAlerts(f.GranularityName, current, previous, f.MinSample, alerts, asOf);
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
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetTrendAlerts(parameters), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
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
