using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Reason categories × by (competitor | segment | stage) for one outcome (lost by default): deals with the
/// reason, deals where it was primary, share = deals / deals of that outcome in the group (Wilson 95%).
/// Reports without a value for the grouping dimension are left out of segment and stage groups.
/// </summary>
public sealed record GetReasonTrend(TrendParameters Parameters, string? By, string? Outcome) : IQuery<ReasonTrend>;

public sealed record ReasonTrend(string By, string Outcome, string? From, string? To, int MinSample, IReadOnlyList<ReasonTrendRow> Rows, string? AsOf)
{
    /// <summary>What the answer rests on: reports against the closed deals of that outcome known for the slice (null when none are known).</summary>
    public Coverage.SliceCoverage? Coverage { get; init; }
}

public sealed record ReasonTrendRow(string? Group, TrendCompetitor? Competitor, string Category, long Deals, long Primary, TrendRate Share);

public sealed class GetReasonTrendValidator : AbstractValidator<GetReasonTrend>
{
    public GetReasonTrendValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.By is not null and not ("competitor" or "segment" or "stage")) context.AddFailure("by", "by must be one of: competitor, segment, stage.");
        if (q.Outcome is not null && !ReportRules.Outcomes.Contains(q.Outcome)) context.AddFailure("outcome", "outcome must be one of: won, lost, no_decision.");
    });
}

public sealed class GetReasonTrendHandler(Db db, ReadStore read, Coverage.TrendCoverage coverage) : IQueryHandler<GetReasonTrend, ReasonTrend>
{
    public async ValueTask<ReasonTrend> Handle(GetReasonTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        var by = query.By ?? "competitor";
        var outcome = query.Outcome ?? "lost";
        var outcomeColumn = outcome switch { "won" => 1, "lost" => 2, _ => 3 };
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var rows = new List<ReasonTrendRow>();
        if (by == "competitor")
        {
            var data = TrendFactsQuery.Read(duck, f, new FactRequest([new ReasonFacts(AllDeals: false, PerCompetitor: true), new CompetitorFacts()], GroupBy: TrendFactsQuery.AllDeals, Outcome: outcome));
            var totals = data.Of(Kinds.Competitor).GroupBy(x => x.K1).ToDictionary(g => g.Key, g => g.Sum(x => x.C[outcomeColumn]));
            var reasons = data.Of(Kinds.Reason).Where(x => x.K2 == outcome && x.K3 != CompetitorKey.Any).ToList();
            var names = await TrendFormat.CompetitorsAsync(db, duck, reasons.Select(x => x.K3), cancellationToken);
            rows.AddRange(reasons.GroupBy(x => (x.K3, x.K1)).Select(g =>
            {
                var total = totals.GetValueOrDefault(g.Key.K3);
                return new ReasonTrendRow(null, names[g.Key.K3], g.Key.K1, g.Sum(x => x.C[0]), g.Sum(x => x.C[1]), TrendRate.Of(g.Sum(x => x.C[0]), total, f.MinSample));
            }));
        }
        else
        {
            var data = TrendFactsQuery.Read(duck, f, new FactRequest([new ReasonFacts(), new DealFacts(CountsOnly: true)], GroupBy: by, Outcome: outcome));
            var totals = data.Of(Kinds.Deal).GroupBy(x => x.Bucket).ToDictionary(g => g.Key, g => g.Sum(x => x.C[outcomeColumn]));
            rows.AddRange(data.Of(Kinds.Reason).Where(x => x.K2 == outcome && x.K3 == CompetitorKey.Any).GroupBy(x => (x.Bucket, x.K1)).Select(g =>
                new ReasonTrendRow(g.Key.Bucket, null, g.Key.K1, g.Sum(x => x.C[0]), g.Sum(x => x.C[1]),
                    TrendRate.Of(g.Sum(x => x.C[0]), totals.GetValueOrDefault(g.Key.Bucket), f.MinSample))));
        }
        var ordered = rows.OrderBy(r => r.Group ?? r.Competitor?.Name ?? "", StringComparer.Ordinal).ThenByDescending(r => r.Deals).ThenBy(r => r.Category, StringComparer.Ordinal).ToList();
        return new ReasonTrend(by, outcome, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, ordered, asOf)
        {
            Coverage = await coverage.ForAsync(f, outcome, null, cancellationToken),
        };
    }

    public static readonly string[] CsvColumns = ["group", "competitorId", "competitor", "category", "deals", "primary", "share", "shareN", "shareLow", "shareHigh", "shareLowSample"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/reasons", Endpoint).AsTrend<ReasonTrend>("GetReasonTrend",
            "Reason categories by competitor, segment or stage for one outcome (format=csv for a file)", CsvColumns);

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? by, string? outcome, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetReasonTrend(parameters, by, outcome), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv("reason-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.Group).Number(r.Competitor?.Id).Text(r.Competitor?.Name).Text(r.Category).Number(r.Deals).Number(r.Primary)
                    .Number(r.Share.Value).Number(r.Share.N).Number(r.Share.Ci95?[0]).Number(r.Share.Ci95?[1]).Bool(r.Share.LowSample);
                await csv.EndRowAsync(ct);
            }
        });
    }
}
