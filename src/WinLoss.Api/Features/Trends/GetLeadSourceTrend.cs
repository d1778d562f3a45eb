using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>Lead source: deals, won, lost, no decision, win rate (Wilson 95%), average lead quality (1–5, rated deals only).</summary>
public sealed record GetLeadSourceTrend(TrendParameters Parameters) : IQuery<LeadSourceTrend>;

public sealed record LeadSourceTrend(string? From, string? To, int MinSample, IReadOnlyList<LeadSourceTrendRow> Rows, string? AsOf);

public sealed record LeadSourceTrendRow(string? LeadSource, long Deals, long Won, long Lost, long NoDecision, TrendRate WinRate, double? AvgLeadQuality, long RatedDeals);

public sealed class GetLeadSourceTrendValidator : AbstractValidator<GetLeadSourceTrend>
{
    public GetLeadSourceTrendValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetLeadSourceTrendHandler(ReadStore read) : IQueryHandler<GetLeadSourceTrend, LeadSourceTrend>
{
    public async ValueTask<LeadSourceTrend> Handle(GetLeadSourceTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var data = TrendFactsQuery.Read(duck, f, new FactRequest(new DealFacts()));
        var rows = data.Of(Kinds.Deal).GroupBy(x => x.K1).Select(g =>
        {
            var l = g.ToList();
            long deals = l.Sum(x => x.C[0]), won = l.Sum(x => x.C[1]), lost = l.Sum(x => x.C[2]), nd = l.Sum(x => x.C[3]);
            long qualitySum = l.Sum(x => x.C[7]), rated = l.Sum(x => x.C[8]);
            return new LeadSourceTrendRow(g.Key.Length == 0 ? null : g.Key, deals, won, lost, nd, TrendRate.Of(won, won + lost, f.MinSample),
                rated == 0 ? null : TrendRate.Round((double)qualitySum / rated), rated);
        }).OrderByDescending(r => r.Deals).ThenBy(r => r.LeadSource, StringComparer.Ordinal).ToList();
        return new LeadSourceTrend(TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, rows, asOf);
    }

    public static readonly string[] CsvColumns = ["leadSource", "deals", "won", "lost", "noDecision", "winRate", "winRateN", "winRateLow", "winRateHigh", "winRateLowSample", "avgLeadQuality", "ratedDeals"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/lead-sources", Endpoint).AsTrend<LeadSourceTrend>("GetLeadSourceTrend",
            "Win rate and lead quality by lead source (format=csv for a file)", CsvColumns);

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetLeadSourceTrend(parameters), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv("lead-source-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.LeadSource).Number(r.Deals).Number(r.Won).Number(r.Lost).Number(r.NoDecision)
                    .Number(r.WinRate.Value).Number(r.WinRate.N).Number(r.WinRate.Ci95?[0]).Number(r.WinRate.Ci95?[1]).Bool(r.WinRate.LowSample)
                    .Number(r.AvgLeadQuality).Number(r.RatedDeals);
                await csv.EndRowAsync(ct);
            }
        });
    }
}
