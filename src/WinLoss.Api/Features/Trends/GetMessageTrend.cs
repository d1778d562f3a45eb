using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Catalogue message over all deals (no <c>by</c>: which messages land?) or broken down by segment or stage: uses,
/// resonated, neutral, fell flat, resonance rate (resonated / uses, Wilson 95%), win rate when used and when not used
/// (won / (won + lost) of the group's deals), and lift = win rate when used − win rate when not used (null when
/// either has no won or lost deal). Without <c>by</c>, <c>group</c> is null.
/// </summary>
public sealed record GetMessageTrend(TrendParameters Parameters, string? By) : IQuery<MessageTrend>;

public sealed record MessageTrend(string? By, string? From, string? To, int MinSample, IReadOnlyList<MessageTrendRow> Rows, string? AsOf);

public sealed record MessageTrendRow(
    string MessageId, string? Group, long Uses, long Resonated, long Neutral, long FellFlat,
    TrendRate ResonanceRate, TrendRate WinRateWhenUsed, TrendRate WinRateWhenNotUsed, double? Lift);

public sealed class GetMessageTrendValidator : AbstractValidator<GetMessageTrend>
{
    public GetMessageTrendValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.By is not null and not ("segment" or "stage")) context.AddFailure("by", "by must be one of: segment, stage.");
    });
}

public sealed class GetMessageTrendHandler(ReadStore read) : IQueryHandler<GetMessageTrend, MessageTrend>
{
    private const string AllDeals = "";

    public async ValueTask<MessageTrend> Handle(GetMessageTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var data = TrendFactsQuery.Read(duck, f, new FactRequest([new MessageFacts(), new DealFacts(CountsOnly: true)], GroupBy: query.By));
        // Without a breakdown every fact is re-bucketed into one group: all deals in the range.
        string Group(string bucket) => query.By is null ? AllDeals : bucket;
        var deals = data.Of(Kinds.Deal).GroupBy(x => Group(x.Bucket)).ToDictionary(g => g.Key, g => (Won: g.Sum(x => x.C[1]), Lost: g.Sum(x => x.C[2])));
        var rows = new List<MessageTrendRow>();
        foreach (var g in data.Of(Kinds.Message).Where(x => x.K2 == CompetitorKey.Any).GroupBy(x => (Group: Group(x.Bucket), x.K1)))
        {
            var list = g.ToList();
            var (won, lost) = deals.GetValueOrDefault(g.Key.Group);
            long uses = list.Sum(x => x.C[0]), res = list.Sum(x => x.C[1]), neutral = list.Sum(x => x.C[2]), flat = list.Sum(x => x.C[3]);
            long usedWon = list.Where(x => x.K3 == "won").Sum(x => x.C[0]), usedLost = list.Where(x => x.K3 == "lost").Sum(x => x.C[0]);
            var whenUsed = TrendRate.Of(usedWon, usedWon + usedLost, f.MinSample);
            var whenNot = TrendRate.Of(won - usedWon, won - usedWon + lost - usedLost, f.MinSample);
            double? lift = whenUsed.Value is { } a && whenNot.Value is { } b ? TrendRate.Round(a - b) : null;
            rows.Add(new MessageTrendRow(g.Key.K1, query.By is null ? null : g.Key.Group, uses, res, neutral, flat, TrendRate.Of(res, uses, f.MinSample), whenUsed, whenNot, lift));
        }
        return new MessageTrend(query.By, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample,
            rows.OrderBy(r => r.MessageId, StringComparer.Ordinal).ThenBy(r => r.Group, StringComparer.Ordinal).ToList(), asOf);
    }

    public static readonly string[] CsvColumns =
    [
        "messageId", "group", "uses", "resonated", "neutral", "fellFlat", "resonanceRate", "resonanceRateLow", "resonanceRateHigh", "resonanceLowSample",
        "winRateWhenUsed", "winRateWhenUsedN", "winRateWhenNotUsed", "winRateWhenNotUsedN", "lift",
    ];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/messages", Endpoint).AsTrend<MessageTrend>("GetMessageTrend",
            "Message resonance and win-rate lift over all deals, or by segment or stage (format=csv for a file)", CsvColumns);

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? by, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetMessageTrend(parameters, by), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv("message-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.MessageId).Text(r.Group).Number(r.Uses).Number(r.Resonated).Number(r.Neutral).Number(r.FellFlat)
                    .Number(r.ResonanceRate.Value).Number(r.ResonanceRate.Ci95?[0]).Number(r.ResonanceRate.Ci95?[1]).Bool(r.ResonanceRate.LowSample)
                    .Number(r.WinRateWhenUsed.Value).Number(r.WinRateWhenUsed.N).Number(r.WinRateWhenNotUsed.Value).Number(r.WinRateWhenNotUsed.N).Number(r.Lift);
                await csv.EndRowAsync(ct);
            }
        });
    }
}
