using System.Globalization;
using Dapper;
using DuckDB.NET.Data;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Features.Alerts;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// What changed now, for the period holding <c>to</c> (default today, UTC) against the period before (docs/alerts.md):
/// <list type="bullet">
/// <item><c>objection</c> (share of deals raising a category) and <c>competitor_loss_share</c> (share of lost deals naming a
/// competitor): every such item is tested (one-sided pooled two-proportion test) and the period's tests are one family,
/// adjusted by Benjamini–Hochberg; an item is an alert when its share rose and q ≤ <c>fdr</c> (default 0.10);</item>
/// <item><c>win_rate_falling</c>: a Bernoulli CUSUM per competitor over its decided deals in close-date order since the start
/// of the previous period, against its win rate over the 200 decided deals before (p1 = 0.75·p0, h for an in-control run
/// length of ≥ 500 deals).</item>
/// </list>
/// Competitor alerts carry the competitor's win rate this period, raw and empirical-Bayes shrunk (beta prior fitted
/// across competitors), so a 3-of-4 does not read as 75%. Rises come first (smallest q first), then falling win rates.
/// </summary>
public sealed record GetTrendAlerts(TrendParameters Parameters, string? Fdr = null) : IQuery<TrendAlerts>;

/// <param name="Fdr">The false-discovery rate the rises are controlled at.</param>
/// <param name="Tested">How many rises were tested together (the BH family: m).</param>
/// <param name="FalseDiscoveryControl">The one line that says what the list promises.</param>
public sealed record TrendAlerts(string Granularity, string Period, string PreviousPeriod, int MinSample, double Fdr, int Tested,
    string FalseDiscoveryControl, IReadOnlyList<TrendAlert> Alerts, string? AsOf);

/// <summary>
/// kind: "objection" (category set), "competitor_loss_share" or "win_rate_falling" (competitor set). For rises:
/// current/previous are the shares, z, p (one-sided), q (BH-adjusted) and the counts behind them. For win_rate_falling:
/// current is the win rate since the run started, previous the baseline win rate, and cusum the chart's evidence.
/// summary: what the alert means, in one sentence.
/// </summary>
public sealed record TrendAlert(
    string Kind, string? Category, TrendCompetitor? Competitor, TrendRate Current, TrendRate Previous, double Delta, double? Z,
    double? P, double? Q, AlertCounts? Counts, string Summary, ShrunkWinRate? WinRate, CusumSignal? Cusum);

/// <summary>Deals with the category / naming the competitor (<c>before</c>, <c>now</c>) of all deals / all lost deals (<c>ofBefore</c>, <c>ofNow</c>).</summary>
public sealed record AlertCounts(long Before, long OfBefore, long Now, long OfNow);

/// <summary>A competitor's win rate this period: raw (won / decided), and shrunk toward the field with its 95% credible interval.</summary>
public sealed record ShrunkWinRate(double? Raw, long Won, long Decided, double Shrunk, double[] Interval, double PriorMean, double PriorStrength)
{
    /// <summary>
    /// Empirical-Bayes win rates of a set of competitors (one period): the beta prior fitted across them, then each one's
    /// posterior; null for a competitor without decided deals, and for all when fewer than two have any.
    /// </summary>
    public static IReadOnlyList<ShrunkWinRate?> ForGroups(IReadOnlyList<(long Won, long Decided)> groups)
    {
        var (prior, rates) = AlertRules.Shrink(groups.Select((g, i) => (i.ToString(CultureInfo.InvariantCulture), g.Won, g.Decided)).ToList());
        return groups.Select((g, i) => prior is not null && rates.TryGetValue(i.ToString(CultureInfo.InvariantCulture), out var s)
            ? new ShrunkWinRate(TrendRate.Round((double)g.Won / g.Decided), g.Won, g.Decided, TrendRate.Round(s.Estimate),
                [TrendRate.Round(s.Low), TrendRate.Round(s.High)], TrendRate.Round(prior.Mean), Math.Round(prior.Strength, 2))
            : null).ToList();
    }
}

/// <summary>The CUSUM's evidence: baseline p0 over baselineDeals, alarm rate p1, threshold h, S at the alarm, where the run started, when it fired, and the deals since the start.</summary>
public sealed record CusumSignal(double P0, int BaselineDeals, double P1, double H, double Statistic, AlertDeal RunStart, AlertDeal FiredAt, int DealsSince, int WonSince);

public sealed record AlertDeal(long ReportId, string DealId, string ClosedOn);

public sealed class GetTrendAlertsValidator : AbstractValidator<GetTrendAlerts>
{
    public GetTrendAlertsValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.Fdr is not null && !GetTrendAlertsHandler.TryParseFdr(q.Fdr, out _))
            context.AddFailure("fdr", "fdr must be a number greater than 0 and at most 0.5 (the false-discovery rate, e.g. 0.10).");
    });
}

public sealed class GetTrendAlertsHandler(Db db, ReadStore read) : IQueryHandler<GetTrendAlerts, TrendAlerts>
{
    public static bool TryParseFdr(string text, out double fdr) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out fdr) && fdr > 0 && fdr <= 0.5;

    public async ValueTask<TrendAlerts> Handle(GetTrendAlerts query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var fdr = query.Fdr is null ? AlertRules.DefaultFdr : double.Parse(query.Fdr, CultureInfo.InvariantCulture);
        var g = f.Granularity;
        var day = f.To ?? Infrastructure.Database.Clock.TodayUtc();
        var current = Statistics.PeriodLabel(day, g);
        var previousStart = Statistics.PreviousPeriodStart(day, g);
        var previous = Statistics.PeriodLabel(previousStart, g);
        await using var duck = await read.ConnectAsync(cancellationToken);
        var asOf = read.AsOf;
        var data = TrendFactsQuery.Read(duck, f with { From = previousStart, To = day }, new FactRequest(new DealFacts(CountsOnly: true), new ObjectionFacts(), new CompetitorFacts()));

        // 1. Rises: one family per period.
        var deals = data.Of(Kinds.Deal).GroupBy(x => x.Bucket).ToDictionary(x => x.Key, x => (All: x.Sum(y => y.C[0]), Lost: x.Sum(y => y.C[2])));
        var (allNow, lostNow) = deals.GetValueOrDefault(current);
        var (allBefore, lostBefore) = deals.GetValueOrDefault(previous);
        var family = new List<AlertRules.Candidate>();
        foreach (var cat in data.Of(Kinds.Objection).Where(x => x.K2 == CompetitorKey.Any).GroupBy(x => x.K1).OrderBy(x => x.Key, StringComparer.Ordinal))
            family.Add(new("objection", cat.Key, cat.Where(x => x.Bucket == previous).Sum(x => x.C[1]), allBefore,
                cat.Where(x => x.Bucket == current).Sum(x => x.C[1]), allNow));
        var competitorRows = data.Of(Kinds.Competitor).Where(x => x.K1 != CompetitorKey.None).ToList();
        foreach (var comp in competitorRows.GroupBy(x => x.K1).OrderBy(x => x.Key, StringComparer.Ordinal))
            family.Add(new("competitor_loss_share", comp.Key, comp.Where(x => x.Bucket == previous).Sum(x => x.C[2]), lostBefore,
                comp.Where(x => x.Bucket == current).Sum(x => x.C[2]), lostNow));
        var scored = AlertRules.ControlFalseDiscoveries(family, fdr);
        var rises = scored.Where(s => s.Alert).OrderBy(s => s.Q).ThenByDescending(s => s.Z).ThenBy(s => s.Candidate.Key, StringComparer.Ordinal).ToList();

        // 2. Falling win rates: a CUSUM per competitor since the start of the previous period.
        var falling = ReadDecidedDeals(duck, f with { From = null, To = day }, previousStart)
            .Select(x => (Key: x.Key, Signal: AlertRules.WatchWinRate(x.Deals, previousStart)))
            .Where(x => x.Signal is not null)
            .OrderByDescending(x => x.Signal!.DealsSince).ThenBy(x => x.Key, StringComparer.Ordinal)
            .ToList();
        falling = WithDealIds(duck, falling);

        // 3. Win rates this period, shrunk toward the field.
        var winGroups = competitorRows.Where(x => x.Bucket == current).GroupBy(x => x.K1)
            .Select(x => (Key: x.Key, Won: x.Sum(y => y.C[1]), Decided: x.Sum(y => y.C[1] + y.C[2]))).ToList();
        var (prior, shrunk) = AlertRules.Shrink(winGroups);
        var wins = winGroups.ToDictionary(x => x.Key, StringComparer.Ordinal);
        ShrunkWinRate? WinRateOf(string key)
        {
            if (prior is null || !shrunk.TryGetValue(key, out var s) || !wins.TryGetValue(key, out var w)) return null;
            return new ShrunkWinRate(TrendRate.Round((double)w.Won / w.Decided), w.Won, w.Decided, TrendRate.Round(s.Estimate),
                [TrendRate.Round(s.Low), TrendRate.Round(s.High)], TrendRate.Round(prior.Mean), Math.Round(prior.Strength, 2));
        }

        var names = await TrendFormat.CompetitorsAsync(db, duck,
            rises.Where(x => x.Candidate.Kind != "objection").Select(x => x.Candidate.Key).Concat(falling.Select(x => x.Key)), cancellationToken);
        var alerts = new List<TrendAlert>();
        foreach (var r in rises)
        {
            var c = r.Candidate;
            var isObjection = c.Kind == "objection";
            var competitor = isObjection ? null : names[c.Key];
            var now = TrendRate.Of(c.XNow, c.NNow, f.MinSample);
            var before = TrendRate.Of(c.XBefore, c.NBefore, f.MinSample);
            var summary = isObjection
                ? $"More deals raise the \"{Label(c.Key)}\" objection: {Pct(c.XNow, c.NNow)} in {current} ({c.XNow} of {c.NNow}) against {Pct(c.XBefore, c.NBefore)} in {previous} ({c.XBefore} of {c.NBefore})."
                : $"{competitor?.Name} is named in more lost deals: {Pct(c.XNow, c.NNow)} of losses in {current} ({c.XNow} of {c.NNow}) against {Pct(c.XBefore, c.NBefore)} in {previous} ({c.XBefore} of {c.NBefore}).";
            alerts.Add(new TrendAlert(c.Kind, isObjection ? c.Key : null, competitor, now, before,
                TrendRate.Round((double)c.XNow / c.NNow - (double)c.XBefore / c.NBefore), Math.Round(r.Z!.Value, 3),
                Round6(r.P!.Value), Round6(r.Q!.Value), new AlertCounts(c.XBefore, c.NBefore, c.XNow, c.NNow), summary,
                isObjection ? null : WinRateOf(c.Key), null));
        }
        foreach (var (key, s) in falling)
        {
            var signal = s!;
            var competitor = names[key];
            var baselineWon = (long)Math.Round(signal.P0 * signal.BaselineDeals);
            var since = TrendRate.Of(signal.WonSince, signal.DealsSince, f.MinSample);
            var baseline = TrendRate.Of(baselineWon, signal.BaselineDeals, f.MinSample);
            var summary = $"Win rate against {competitor?.Name} is falling: {signal.WonSince} won of {signal.DealsSince} decided deals since {signal.RunStart.DealId} " +
                          $"(closed {signal.RunStart.ClosedOn:yyyy-MM-dd}), against {Pct(baselineWon, signal.BaselineDeals)} over the {signal.BaselineDeals} decided deals before.";
            alerts.Add(new TrendAlert("win_rate_falling", null, competitor, since, baseline,
                TrendRate.Round((since.Value ?? 0) - (baseline.Value ?? 0)), null, null, null, null, summary, WinRateOf(key),
                new CusumSignal(TrendRate.Round(signal.P0), signal.BaselineDeals, TrendRate.Round(signal.P1), signal.H, Math.Round(signal.Statistic, 3),
                    Deal(signal.RunStart), Deal(signal.FiredAt), signal.DealsSince, signal.WonSince)));
        }

        var tested = scored.Count(s => s.Q is not null);
        var control = string.Create(CultureInfo.InvariantCulture,
            $"Rises are tested together ({tested} tests, Benjamini–Hochberg at q = {fdr:0.###}): in a period with no real change, at most {fdr * 100:0.#}% of periods raise any; falling win rates use a CUSUM tuned to one false alarm per 500 deals.");
        return new TrendAlerts(f.GranularityName, current, previous, f.MinSample, fdr, tested, control, alerts, asOf);
    }

    private static AlertDeal Deal(AlertRules.DecidedDeal d) => new(d.ReportId, d.DealId, d.ClosedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    private static double Round6(double v) => Math.Round(v, 6, MidpointRounding.AwayFromZero);
    private static string Label(string category) => category.Replace('_', ' ');
    private static string Pct(long x, long n) => n == 0 ? "–" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * x / n:0.#}%");

    /// <summary>
    /// Per named competitor with decided deals since <paramref name="monitorFrom"/>, its decided deals in close-date order:
    /// the last <see cref="AlertRules.BaselineWindow"/> before <paramref name="monitorFrom"/> and all from it to the filter's
    /// end (filters other than dates apply). A competitor without deals since then cannot signal and is left out. Deal ids
    /// are left empty (<see cref="WithDealIds"/> fills those of the deals an alert shows).
    /// <para>
    /// Without sorting or scanning the whole history: a count per competitor and month over the year before
    /// <paramref name="monitorFrom"/> finds the month from which every monitored competitor has its last
    /// <see cref="AlertRules.BaselineWindow"/> deals, and only rows from that month on are ranked (the whole history when
    /// one of them has fewer in that year). The table is stored in close-date order, so both date cuts skip blocks.
    /// </para>
    /// </summary>
    private static List<(string Key, List<AlertRules.DecidedDeal> Deals)> ReadDecidedDeals(DuckDBConnection duck, TrendFilter f, DateOnly monitorFrom)
    {
        var p = new DynamicParameters();
        var where = TrendFactsQuery.Where(f, p) + " AND competitor_key <> '' AND outcome < 2";
        p.Add("monitorFrom", monitorFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        p.Add("lookback", monitorFrom.AddYears(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var monitored = duck.Query<string>(
            $"SELECT DISTINCT competitor_key FROM trend_competitors WHERE {where} AND closed_on >= CAST($monitorFrom AS DATE)", p).ToHashSet(StringComparer.Ordinal);
        var months = duck.Query<(string Key, int Month, long N)>($"""
            SELECT competitor_key, p_month, count(*) FROM trend_competitors
            WHERE {where} AND closed_on >= CAST($lookback AS DATE) AND closed_on < CAST($monitorFrom AS DATE)
            GROUP BY competitor_key, p_month
            """, p).GroupBy(x => x.Key).ToDictionary(g => g.Key, g => g.OrderByDescending(x => x.Month).ToList(), StringComparer.Ordinal);
        var from = int.MaxValue; // the first month (year × 100 + month) to rank from; 0: the whole history
        foreach (var key in monitored)
        {
            long later = 0;
            var cut = 0;
            foreach (var m in months.GetValueOrDefault(key) ?? [])
            {
                later += m.N;
                if (later >= AlertRules.BaselineWindow) { cut = m.Month; break; }
            }
            from = Math.Min(from, cut);
        }
        p.Add("fromMonth", from == int.MaxValue ? 0 : from);
        p.Add("window", AlertRules.BaselineWindow);
        var sql = $"""
            WITH b AS (
                SELECT competitor_key AS key, report_id, closed_on, outcome,
                       row_number() OVER (PARTITION BY competitor_key ORDER BY closed_on DESC, report_id DESC) AS rn
                FROM trend_competitors
                WHERE {where} AND p_month >= $fromMonth AND closed_on < CAST($monitorFrom AS DATE))
            SELECT key, report_id, closed_on, outcome FROM b WHERE rn <= $window
            UNION ALL
            SELECT competitor_key, report_id, closed_on, outcome FROM trend_competitors WHERE {where} AND closed_on >= CAST($monitorFrom AS DATE)
            ORDER BY 1, 3, 2
            """;
        var result = new List<(string, List<AlertRules.DecidedDeal>)>();
        using var reader = (System.Data.Common.DbDataReader)duck.ExecuteReader(sql, p);
        string? currentKey = null;
        List<AlertRules.DecidedDeal>? list = null;
        while (reader.Read())
        {
            var key = reader.GetString(0);
            if (!monitored.Contains(key)) continue;
            if (key != currentKey) { currentKey = key; list = []; result.Add((key, list)); }
            list!.Add(new AlertRules.DecidedDeal(reader.GetInt64(1), "", reader.GetFieldValue<DateOnly>(2), reader.GetByte(3) == 0));
        }
        return result;
    }

    /// <summary>The deal ids of the deals each signal shows (where its run started and where it fired).</summary>
    private static List<(string Key, AlertRules.WinRateFalling? Signal)> WithDealIds(DuckDBConnection duck, List<(string Key, AlertRules.WinRateFalling? Signal)> falling)
    {
        var ids = falling.SelectMany(x => new[] { x.Signal!.RunStart.ReportId, x.Signal.FiredAt.ReportId }).Distinct().ToList();
        if (ids.Count == 0) return falling;
        var dealIds = duck.Query<(long Id, string DealId)>(
            $"SELECT id, deal_id FROM reports WHERE id IN ({string.Join(",", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))})")
            .ToDictionary(x => x.Id, x => x.DealId);
        return falling.Select(x => (x.Key, (AlertRules.WinRateFalling?)(x.Signal! with
        {
            RunStart = x.Signal.RunStart with { DealId = dealIds[x.Signal.RunStart.ReportId] },
            FiredAt = x.Signal.FiredAt with { DealId = dealIds[x.Signal.FiredAt.ReportId] },
        }))).ToList();
    }

    public static readonly string[] CsvColumns =
        ["kind", "category", "competitorId", "competitor", "current", "currentN", "currentLow", "currentHigh", "previous", "previousN", "delta", "z",
         "p", "q", "countBefore", "ofBefore", "countNow", "ofNow", "winRateShrunk", "winRateLow", "winRateHigh", "summary"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/alerts", Endpoint)
            .WithName("GetTrendAlerts")
            .WithSummary("Alerts of the period: rises under false-discovery control (BH at fdr), falling win rates (CUSUM), worst first (format=csv for a file)")
            .WithDescription("fdr: false-discovery rate of the rises, default 0.10. See docs/alerts.md. CSV columns: " + string.Join(",", CsvColumns))
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<TrendAlerts>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? fdr, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await TrendFormat.QueryAsync(parameters, http, () => sender.Send(new GetTrendAlerts(parameters, fdr), cancellationToken).AsTask());
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        return TrendFormat.Csv("trend-alerts.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var a in result.Alerts)
            {
                csv.Text(a.Kind).Text(a.Category).Number(a.Competitor?.Id).Text(a.Competitor?.Name)
                    .Number(a.Current.Value).Number(a.Current.N).Number(a.Current.Ci95?[0]).Number(a.Current.Ci95?[1])
                    .Number(a.Previous.Value).Number(a.Previous.N).Number(a.Delta).Number(a.Z)
                    .Number(a.P, "0.######").Number(a.Q, "0.######").Number(a.Counts?.Before).Number(a.Counts?.OfBefore).Number(a.Counts?.Now).Number(a.Counts?.OfNow)
                    .Number(a.WinRate?.Shrunk).Number(a.WinRate?.Interval[0]).Number(a.WinRate?.Interval[1]).Text(a.Summary);
                await csv.EndRowAsync(ct);
            }
        });
    }
}
