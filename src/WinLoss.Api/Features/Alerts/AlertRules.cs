namespace WinLoss.Api.Features.Alerts;

/// <summary>
/// How alerts are decided, from counts to verdicts (pure; the alerts query supplies the counts from the read side):
/// <list type="bullet">
/// <item>rises (objection share, competitor share of losses): one family of one-sided tests per period, Benjamini–Hochberg at q = fdr;</item>
/// <item>falling win rate: a Bernoulli CUSUM per competitor over decided deals in close-date order;</item>
/// <item>small samples: empirical-Bayes shrinkage of every competitor's win rate toward the field.</item>
/// </list>
/// </summary>
public static class AlertRules
{
    /// <summary>Default false-discovery rate of a period's alerts (query parameter <c>fdr</c>).</summary>
    public const double DefaultFdr = 0.10;

    /// <summary>Decided deals before the monitored window that set a competitor's baseline win rate (at most).</summary>
    public const int BaselineWindow = 200;

    /// <summary>Fewer decided deals than this in the baseline: no CUSUM for that competitor (its baseline is too uncertain).</summary>
    public const int MinBaseline = 30;

    /// <summary>One test of a period's family: x of n before, x of n now (e.g. deals raising an objection, of all deals).</summary>
    public sealed record Candidate(string Kind, string Key, long XBefore, long NBefore, long XNow, long NNow);

    /// <summary>A tested candidate: z, one-sided p, BH-adjusted q (null when untestable), and whether it is an alert.</summary>
    public sealed record Scored(Candidate Candidate, double? Z, double? P, double? Q, bool Alert);

    /// <summary>
    /// Tests every candidate (one-sided pooled two-proportion test for a rise) and adjusts the p-values of the testable
    /// ones together (Benjamini–Hochberg). A candidate is an alert when its share rose and q ≤ <paramref name="fdr"/>.
    /// Untestable candidates (an empty period, or a share of 0 or 1 in both) are not part of the family, as R's p.adjust
    /// leaves NA values out of m.
    /// </summary>
    public static IReadOnlyList<Scored> ControlFalseDiscoveries(IReadOnlyList<Candidate> family, double fdr = DefaultFdr)
    {
        var tested = family.Select(c => (Candidate: c, Z: AlertStatistics.PooledZ(c.XBefore, c.NBefore, c.XNow, c.NNow))).ToList();
        var testable = tested.Where(t => t.Z is not null).ToList();
        var q = AlertStatistics.BenjaminiHochberg(testable.Select(t => AlertStatistics.NormalUpperTail(t.Z!.Value)).ToList());
        var qOf = new Dictionary<Candidate, double>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < testable.Count; i++) qOf[testable[i].Candidate] = q[i];
        return tested.Select(t =>
        {
            if (t.Z is not { } z) return new Scored(t.Candidate, null, null, null, false);
            var adjusted = qOf[t.Candidate];
            return new Scored(t.Candidate, z, AlertStatistics.NormalUpperTail(z), adjusted, z > 0 && adjusted <= fdr);
        }).ToList();
    }

    /// <summary>A decided deal (won or lost) of a competitor, in close-date order.</summary>
    public sealed record DecidedDeal(long ReportId, string DealId, DateOnly ClosedOn, bool Won);

    /// <summary>
    /// A falling win rate: the CUSUM crossed h in the monitored window. p0 is the baseline rate, p1 = 0.75·p0 the rate the
    /// chart is tuned to detect; <c>RunStart</c> is the deal after the chart last stood at zero (where the drop is
    /// estimated to begin) and <c>DealsSince</c> the decided deals from it to the end of the window (won of them:
    /// <c>WonSince</c>).
    /// </summary>
    public sealed record WinRateFalling(
        double P0, int BaselineDeals, double P1, double H, double Statistic,
        DecidedDeal RunStart, DecidedDeal FiredAt, int DealsSince, int WonSince);

    /// <summary>
    /// Runs the Bernoulli CUSUM over a competitor's decided deals closed on or after <paramref name="monitorFrom"/>, with
    /// p0 the win rate of the last <see cref="BaselineWindow"/> decided deals closed before it (null when fewer than
    /// <see cref="MinBaseline"/>, or p0 is 0 or 1). Null when the chart stays below h.
    /// </summary>
    public static WinRateFalling? WatchWinRate(IReadOnlyList<DecidedDeal> dealsInCloseOrder, DateOnly monitorFrom)
    {
        var baseline = dealsInCloseOrder.Where(d => d.ClosedOn < monitorFrom).TakeLast(BaselineWindow).ToList();
        var monitored = dealsInCloseOrder.Where(d => d.ClosedOn >= monitorFrom).ToList();
        if (baseline.Count < MinBaseline || monitored.Count == 0) return null;
        var p0 = baseline.Count(d => d.Won) / (double)baseline.Count;
        if (p0 <= 0 || p0 >= 1) return null;
        var p1 = p0 * AlertStatistics.CusumRelativeDrop;
        var h = AlertStatistics.CusumThreshold(p0);
        var outcome = AlertStatistics.Cusum(monitored.Select(d => d.Won).ToList(), p0, p1, h);
        if (outcome.FiredAt is not { } at) return null;
        var start = outcome.RunStart ?? at;
        var since = monitored.Skip(start).ToList();
        return new WinRateFalling(p0, baseline.Count, p1, h, outcome.Statistic, monitored[start], monitored[at], since.Count, since.Count(d => d.Won));
    }

    /// <summary>
    /// Empirical-Bayes win rates: the beta prior fitted across all groups (method of moments), then each group's posterior
    /// mean and 95% interval (its ends rounded to the decimals the answers show). Null prior (and raw rates left alone) with
    /// fewer than two groups with decided deals.
    /// </summary>
    public static (AlertStatistics.BetaPrior? Prior, IReadOnlyDictionary<string, AlertStatistics.ShrunkRate> Rates) Shrink(
        IReadOnlyList<(string Key, long Won, long Decided)> groups)
    {
        var prior = AlertStatistics.FitBetaPrior(groups.Select(g => (g.Won, g.Decided)).ToList());
        if (prior is null) return (null, new Dictionary<string, AlertStatistics.ShrunkRate>());
        return (prior, groups.Where(g => g.Decided > 0).ToDictionary(g => g.Key, g => AlertStatistics.Shrink(g.Won, g.Decided, prior, digits: Trends.TrendRate.Digits)));
    }
}
