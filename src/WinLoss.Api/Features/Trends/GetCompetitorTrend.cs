using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Competitor × period: deals, won, lost, no decision, win rate (won / (won + lost), Wilson 95%),
/// no-decision rate (no_decision / deals), revenue won and lost per currency; plus one overall row per
/// competitor. Reports naming no competitor form the row with competitor null. primaryOnly=true counts
/// each report once, under its primary competitor (null when it has none).
/// </summary>
public sealed record GetCompetitorTrend(TrendParameters Parameters, string? PrimaryOnly) : IQuery<CompetitorTrend>;

public sealed record CompetitorTrend(
    string Granularity, string? From, string? To, int MinSample, bool PrimaryOnly,
    IReadOnlyList<CompetitorTrendRow> Rows, IReadOnlyList<CompetitorTrendRow> Overall, string? AsOf)
{
    /// <summary>What the answer rests on: reports against the closed deals known for the slice (null when none are known).</summary>
    public Coverage.SliceCoverage? Coverage { get; init; }
}

public sealed record CompetitorTrendRow(
    string? Period, TrendCompetitor? Competitor, long Deals, long Won, long Lost, long NoDecision,
    TrendRate WinRate, TrendRate NoDecisionRate,
    IReadOnlyDictionary<string, decimal> RevenueWon, IReadOnlyDictionary<string, decimal> RevenueLost)
{
    /// <summary>The win rate shrunk toward the period's field of competitors (empirical Bayes, docs/alerts.md); null for "none named".</summary>
    public ShrunkWinRate? WinRateShrunk { get; init; }

    /// <summary>One row from competitor facts (k2 = currency; c0 deals, c1 won, c2 lost, c3 no decision, c4/c5 cents won/lost).</summary>
    public static CompetitorTrendRow Of(string? period, TrendCompetitor? competitor, IEnumerable<(string Currency, long[] C)> facts, int minSample)
    {
        var list = facts as IReadOnlyList<(string Currency, long[] C)> ?? facts.ToList();
        long deals = 0, won = 0, lost = 0, nd = 0;
        foreach (var (_, c) in list) { deals += c[0]; won += c[1]; lost += c[2]; nd += c[3]; }
        return new CompetitorTrendRow(period, competitor, deals, won, lost, nd,
            TrendRate.Of(won, won + lost, minSample), TrendRate.Of(nd, deals, minSample),
            TrendFormat.Money(list.Select(x => (x.Currency, x.C[4]))), TrendFormat.Money(list.Select(x => (x.Currency, x.C[5]))));
    }

    public static readonly string[] CsvColumns =
    [
        "period", "competitorId", "competitor", "matched", "deals", "won", "lost", "noDecision",
        "winRate", "winRateN", "winRateLow", "winRateHigh", "winRateLowSample",
        "noDecisionRate", "noDecisionRateLow", "noDecisionRateHigh", "revenueWon", "revenueLost",
    ];

    public static async Task WriteCsvAsync(Infrastructure.Csv.CsvWriter csv, IEnumerable<CompetitorTrendRow> rows, CancellationToken ct)
    {
        csv.Header(CsvColumns);
        foreach (var r in rows)
        {
            csv.Text(r.Period ?? "all").Number(r.Competitor?.Id).Text(r.Competitor?.Name).Bool(r.Competitor?.Matched)
                .Number(r.Deals).Number(r.Won).Number(r.Lost).Number(r.NoDecision)
                .Number(r.WinRate.Value).Number(r.WinRate.N).Number(r.WinRate.Ci95?[0]).Number(r.WinRate.Ci95?[1]).Bool(r.WinRate.LowSample)
                .Number(r.NoDecisionRate.Value).Number(r.NoDecisionRate.Ci95?[0]).Number(r.NoDecisionRate.Ci95?[1])
                .Text(TrendFormat.MoneyCell(r.RevenueWon)).Text(TrendFormat.MoneyCell(r.RevenueLost));
            await csv.EndRowAsync(ct);
        }
    }
}

public sealed class GetCompetitorTrendValidator : AbstractValidator<GetCompetitorTrend>
{
    public GetCompetitorTrendValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.PrimaryOnly is not null and not ("true" or "false")) context.AddFailure("primaryOnly", "primaryOnly must be true or false.");
    });
}

public sealed class GetCompetitorTrendHandler(Db db, ReadStore read, Coverage.TrendCoverage coverage) : IQueryHandler<GetCompetitorTrend, CompetitorTrend>
{
    public async ValueTask<CompetitorTrend> Handle(GetCompetitorTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var primaryOnly = query.PrimaryOnly == "true";
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var facts = TrendFactsQuery.Read(duck, f, new FactRequest(new CompetitorFacts(Primary: primaryOnly))).Of(Kinds.Competitor).ToList();
        var names = await TrendFormat.CompetitorsAsync(db, duck, facts.Select(x => x.K1), cancellationToken);

        // Facts per (period, competitor) and per competitor, each list holding one entry per currency and outcome.
        var cells = new Dictionary<(string Period, string Key), List<(string Currency, long[] C)>>();
        var totals = new Dictionary<string, List<(string Currency, long[] C)>>(StringComparer.Ordinal);
        foreach (var x in facts)
        {
            if (!cells.TryGetValue((x.Bucket, x.K1), out var cell)) cells[(x.Bucket, x.K1)] = cell = [];
            cell.Add((x.K2, x.C));
            if (!totals.TryGetValue(x.K1, out var total)) totals[x.K1] = total = [];
            total.Add((x.K2, x.C));
        }
        var rows = cells.Select(kv => CompetitorTrendRow.Of(kv.Key.Period, names[kv.Key.Key], kv.Value, f.MinSample))
            .OrderBy(r => r.Period, StringComparer.Ordinal).ThenByDescending(r => r.Deals).ThenBy(r => r.Competitor?.Name, StringComparer.Ordinal)
            .ToList();
        var overall = totals.Select(kv => CompetitorTrendRow.Of(null, names[kv.Key], kv.Value, f.MinSample))
            .OrderByDescending(r => r.Deals).ThenBy(r => r.Competitor?.Name, StringComparer.Ordinal)
            .ToList();
        return new CompetitorTrend(f.GranularityName, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, primaryOnly,
            Shrunk(rows, r => r.Period), Shrunk(overall, _ => null), asOf)
        {
            Coverage = await coverage.ForAsync(f, null, null, cancellationToken),
        };
    }

    /// <summary>
    /// Each named competitor's win rate shrunk toward the others of the same period (docs/alerts.md). Periods are independent,
    /// so a weekly trend's few hundred periods are shrunk in parallel (each posterior interval is two beta quantiles).
    /// </summary>
    private static List<CompetitorTrendRow> Shrunk(List<CompetitorTrendRow> rows, Func<CompetitorTrendRow, string?> period)
    {
        var result = rows.ToArray();
        var groups = rows.Select((r, i) => (Row: r, Index: i)).Where(x => x.Row.Competitor is not null)
            .GroupBy(x => period(x.Row)).Select(g => g.ToList()).ToList();
        Parallel.ForEach(groups, new ParallelOptions { MaxDegreeOfParallelism = groups.Count > 8 ? Environment.ProcessorCount : 1 }, list =>
        {
            var shrunk = ShrunkWinRate.ForGroups(list.Select(x => (x.Row.Won, x.Row.Won + x.Row.Lost)).ToList());
            for (var k = 0; k < list.Count; k++) result[list[k].Index] = list[k].Row with { WinRateShrunk = shrunk[k] };
        });
        return [.. result];
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/competitors", Endpoint).AsTrend<CompetitorTrend>("GetCompetitorTrend",
            "Competitor win rates per period (format=csv for a file)", CompetitorTrendRow.CsvColumns);

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? primaryOnly, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetCompetitorTrend(parameters, primaryOnly), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv("competitor-trend.csv", (csv, ct) => CompetitorTrendRow.WriteCsvAsync(csv, result.Rows.Concat(result.Overall), ct));
    }
}
