using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Objection category × period, weighted by evidence: mentions, deals (distinct reports) and reps
/// (distinct reps), share = deals / all deals of the period (Wilson 95%), overcome rate = overcome
/// mentions / mentions, revenue at risk (lost + no decision) per currency, and the early warning:
/// delta, z and rising against the period before (pooled two-proportion z-test, one-sided, z ≥ 1.645).
/// competitor= keeps objections that name that competitor (catalogue id or name).
/// </summary>
public sealed record GetObjectionTrend(TrendParameters Parameters, string? Competitor) : IQuery<ObjectionTrend>;

public sealed record ObjectionTrend(
    string Granularity, string? From, string? To, int MinSample, TrendCompetitor? Competitor, IReadOnlyList<ObjectionTrendRow> Rows, string? AsOf)
{
    /// <summary>What the answer rests on: reports against the closed deals known for the slice (null when none are known).</summary>
    public Coverage.SliceCoverage? Coverage { get; init; }
}

public sealed record ObjectionTrendRow(
    string Period, string Category, long Mentions, long Deals, long Reps, long AllDeals,
    TrendRate Share, TrendRate OvercomeRate, IReadOnlyDictionary<string, decimal> RevenueAtRisk,
    string? PreviousPeriod, double? Delta, double? Z, bool Rising);

public sealed class GetObjectionTrendValidator : AbstractValidator<GetObjectionTrend>
{
    public GetObjectionTrendValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.Competitor is not null && (string.IsNullOrWhiteSpace(q.Competitor) || q.Competitor.Length > 100))
            context.AddFailure("competitor", "competitor must be a competitor id or name (1 to 100 characters).");
    });
}

public sealed class GetObjectionTrendHandler(Db db, ReadStore read, Coverage.TrendCoverage coverage) : IQueryHandler<GetObjectionTrend, ObjectionTrend>
{
    public async ValueTask<ObjectionTrend> Handle(GetObjectionTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var key = CompetitorKey.Any;
        if (query.Competitor is not null)
            key = await TrendFormat.CompetitorKeyAsync(db, query.Competitor.Trim(), cancellationToken)
                  ?? throw Invalid.Field("competitor", $"No competitor '{query.Competitor}'.");
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var competitor = key == CompetitorKey.Any ? null : (await TrendFormat.CompetitorsAsync(db, duck, [key], cancellationToken))[key];
        var request = new FactRequest(new DealFacts(CountsOnly: true), new ObjectionFacts(key, Reps: true));
        var data = TrendFactsQuery.Read(duck, f, request);
        // The (whole) period before the first one, so the first period has something to compare with.
        if (f.From is { } from)
        {
            var before = f with { From = Statistics.PreviousPeriodStart(from, f.Granularity), To = Statistics.PeriodBounds(from, f.Granularity).Start.AddDays(-1) };
            data.Merge(TrendFactsQuery.Read(duck, before, request));
        }
        var rows = Rows(data, key, f);
        return new ObjectionTrend(f.GranularityName, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, competitor, rows, asOf)
        {
            Coverage = await coverage.ForAsync(f, null, query.Competitor, cancellationToken),
        };
    }

    /// <summary>Objection rows of every period at or after <c>f.From</c>, each compared with the period before it.</summary>
    public static List<ObjectionTrendRow> Rows(TrendData data, string competitorKey, TrendFilter f)
    {
        var allDeals = data.Of(Kinds.Deal).GroupBy(x => x.Bucket).ToDictionary(g => g.Key, g => g.Sum(x => x.C[0]));
        var objections = data.Of(Kinds.Objection).Where(x => x.K2 == competitorKey).ToList();
        var reps = data.Of(Kinds.ObjectionReps).Where(x => x.K2 == competitorKey).ToDictionary(x => (x.Bucket, x.K1), x => x.C[0]);
        var byBucketCategory = objections.GroupBy(x => (x.Bucket, x.K1)).ToDictionary(g => g.Key, g => g.ToList());
        var firstBucket = f.From is { } from ? Statistics.PeriodLabel(from, f.Granularity) : "";

        var rows = new List<ObjectionTrendRow>();
        foreach (var ((bucket, category), facts) in byBucketCategory)
        {
            if (string.CompareOrdinal(bucket, firstBucket) < 0) continue;
            long mentions = facts.Sum(x => x.C[0]), deals = facts.Sum(x => x.C[1]), overcome = facts.Sum(x => x.C[2]);
            var total = allDeals.GetValueOrDefault(bucket);
            var previous = PreviousLabel(bucket, f.Granularity);
            var prevDeals = byBucketCategory.TryGetValue((previous, category), out var p) ? p.Sum(x => x.C[1]) : 0;
            var prevTotal = allDeals.GetValueOrDefault(previous);
            var z = Statistics.PooledZ(prevDeals, prevTotal, deals, total);
            double? delta = prevTotal > 0 && total > 0 ? TrendRate.Round((double)deals / total - (double)prevDeals / prevTotal) : null;
            rows.Add(new ObjectionTrendRow(bucket, category, mentions, deals, reps.GetValueOrDefault((bucket, category)), total,
                TrendRate.Of(deals, total, f.MinSample), TrendRate.Of(overcome, mentions, f.MinSample),
                TrendFormat.Money(facts.Select(x => (x.K3, x.C[3]))),
                previous, delta, z is { } v ? Math.Round(v, 3) : null, Statistics.IsRising(z)));
        }
        return rows.OrderBy(r => r.Period, StringComparer.Ordinal).ThenByDescending(r => r.Deals).ThenBy(r => r.Category, StringComparer.Ordinal).ToList();
    }

    /// <summary>Label of the period before the one labelled <paramref name="label"/>.</summary>
    public static string PreviousLabel(string label, Granularity g) => Statistics.PeriodLabel(Statistics.PreviousPeriodStart(StartOf(label, g), g), g);

    /// <summary>First day of a period from its label (2026-W05, 2026-01, 2026-Q1).</summary>
    public static DateOnly StartOf(string label, Granularity g)
    {
        var year = int.Parse(label[..4], System.Globalization.CultureInfo.InvariantCulture);
        return g switch
        {
            Granularity.Week => DateOnly.FromDateTime(System.Globalization.ISOWeek.ToDateTime(year, int.Parse(label[6..], System.Globalization.CultureInfo.InvariantCulture), DayOfWeek.Monday)),
            Granularity.Month => new DateOnly(year, int.Parse(label[5..], System.Globalization.CultureInfo.InvariantCulture), 1),
            _ => new DateOnly(year, (label[6] - '1') * 3 + 1, 1),
        };
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/objections", Endpoint).AsTrend<ObjectionTrend>("GetObjectionTrend",
            "Objection categories per period: mentions, distinct deals and reps, share, rising (format=csv for a file)", CsvColumns);

    public static readonly string[] CsvColumns =
    [
        "period", "category", "mentions", "deals", "reps", "allDeals", "share", "shareLow", "shareHigh", "shareLowSample",
        "overcomeRate", "overcomeRateLow", "overcomeRateHigh", "revenueAtRisk", "previousPeriod", "delta", "z", "rising",
    ];

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? competitor, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetObjectionTrend(parameters, competitor), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv("objection-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.Period).Text(r.Category).Number(r.Mentions).Number(r.Deals).Number(r.Reps).Number(r.AllDeals)
                    .Number(r.Share.Value).Number(r.Share.Ci95?[0]).Number(r.Share.Ci95?[1]).Bool(r.Share.LowSample)
                    .Number(r.OvercomeRate.Value).Number(r.OvercomeRate.Ci95?[0]).Number(r.OvercomeRate.Ci95?[1])
                    .Text(TrendFormat.MoneyCell(r.RevenueAtRisk)).Text(r.PreviousPeriod).Number(r.Delta).Number(r.Z).Bool(r.Rising);
                await csv.EndRowAsync(ct);
            }
        });
    }
}
