using WinLoss.Api.Features.Alerts;

namespace WinLoss.Tests.Alerts;

/// <summary>
/// The two promises of the alerting statistics, by simulation with fixed seeds:
/// (1) in a period where nothing really changed, the 25 tests of the period together raise an alert in at most
///     q of periods (Benjamini–Hochberg at q = 0.10), where the raw per-test 5% rule raises one most of the time;
/// (2) a competitor whose win rate drops from 40% to 30% sets off the CUSUM, and we measure how many deals it takes.
/// Figures are written to the test output (run with --filter-class 'WinLoss.Tests.Alerts.AlertSimulationTests').
/// </summary>
public sealed class AlertSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Without_real_change_BH_raises_an_alert_in_at_most_q_of_periods()
    {
        const int periods = 500, categories = 10, competitors = 15;
        const double q = 0.10;
        var random = new Random(18);
        // Fixed true shares (unchanged between the two periods): objection categories 5%..50% of deals,
        // competitors 3%..40% of lost deals.
        var categoryShare = Enumerable.Range(0, categories).Select(i => 0.05 + 0.05 * i).ToArray();
        var competitorShare = Enumerable.Range(0, competitors).Select(i => 0.03 + 0.025 * i).ToArray();
        int periodsWithBhAlert = 0, periodsWithRawAlert = 0;
        for (var period = 0; period < periods; period++)
        {
            // Deals per period vary (80..220); a third of them are lost.
            int dealsBefore = random.Next(80, 221), dealsNow = random.Next(80, 221);
            int lostBefore = Binomial(random, dealsBefore, 0.35), lostNow = Binomial(random, dealsNow, 0.35);
            var pValues = new List<double>();
            foreach (var share in categoryShare)
                Add(pValues, Binomial(random, dealsBefore, share), dealsBefore, Binomial(random, dealsNow, share), dealsNow);
            foreach (var share in competitorShare)
                Add(pValues, Binomial(random, lostBefore, share), lostBefore, Binomial(random, lostNow, share), lostNow);
            Assert.Equal(25, categories + competitors);
            if (pValues.Any(p => p <= 0.05)) periodsWithRawAlert++;
            if (AlertStatistics.BenjaminiHochberg(pValues).Any(x => x <= q)) periodsWithBhAlert++;
        }
        var bhShare = (double)periodsWithBhAlert / periods;
        var rawShare = (double)periodsWithRawAlert / periods;
        output.WriteLine($"null periods: {periods} × 25 tests; periods with any alert: BH at q = {q}: {bhShare:P1}; raw one-sided 5% per test: {rawShare:P1}");
        // Under the complete null the false-discovery rate is the chance of any alert, so BH keeps it ≤ q. Sampling
        // tolerance: 3 standard errors of a share out of 500 at 0.10 = 3 × √(0.1 × 0.9 / 500) = 0.040.
        Assert.True(bhShare <= q + 0.040, $"BH share {bhShare:P1}");
        // The uncorrected rule is what users complained about: an alert in most quiet periods.
        Assert.True(rawShare > 0.5, $"raw share {rawShare:P1}");
    }

    [Fact]
    public void A_drop_from_40_to_30_percent_sets_off_the_CUSUM()
    {
        const int replicates = 400, baselineDeals = 300, maxDeals = 2000;
        var random = new Random(1999);
        var delays = new List<int>();
        var falseAlarmsInBaseline = 0;
        for (var r = 0; r < replicates; r++)
        {
            // The baseline win rate p0 is estimated from a trailing window of 300 decided deals at a true 40%.
            var baseline = Enumerable.Range(0, baselineDeals).Select(_ => random.NextDouble() < 0.40).ToList();
            var p0 = baseline.Count(x => x) / (double)baselineDeals;
            var p1 = p0 * AlertStatistics.CusumRelativeDrop;
            var h = AlertStatistics.CusumThreshold(p0);
            if (AlertStatistics.Cusum(baseline, p0, p1, h).FiredAt is not null) falseAlarmsInBaseline++;
            // From the change on, the true win rate is 30%; the chart starts fresh at the change.
            var after = Enumerable.Range(0, maxDeals).Select(_ => random.NextDouble() < 0.30).ToList();
            var outcome = AlertStatistics.Cusum(after, p0, p1, h);
            delays.Add(outcome.FiredAt is { } at ? at + 1 : int.MaxValue);
        }
        delays.Sort();
        var median = delays[replicates / 2];
        var fired = delays.Count(d => d != int.MaxValue) / (double)replicates;
        var p90 = delays[(int)(replicates * 0.9)];
        output.WriteLine($"40% → 30% drop: CUSUM fired within {maxDeals} deals in {fired:P1} of {replicates} runs; " +
                         $"median delay {median} decided deals, 90th percentile {p90}; h for p0 = 0.40: {AlertStatistics.CusumThreshold(0.40)}; " +
                         $"false alarms inside the 300-deal baseline: {falseAlarmsInBaseline}/{replicates}");
        Assert.True(fired >= 0.95, $"fired in {fired:P1}");
        Assert.InRange(median, 20, 400);
    }

    [Fact]
    public void Cusum_thresholds_per_baseline_win_rate()
    {
        // The table in docs/alerts.md: h for ARL0 ≥ 500 and the average delay (ARL1) when the rate really falls by a quarter.
        foreach (var p0 in new[] { 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 })
        {
            var h = AlertStatistics.CusumThreshold(p0);
            var arl0 = AlertStatistics.CusumArl(p0, p0 * 0.75, h, p0);
            var arl1 = AlertStatistics.CusumArl(p0, p0 * 0.75, h, p0 * 0.75);
            output.WriteLine($"p0 = {p0:0.00}: h = {h:0.000}, ARL0 = {arl0:0} deals, ARL1 (p = {p0 * 0.75:0.000}) = {arl1:0} deals");
            Assert.InRange(arl0, 500, 520);
            Assert.True(arl1 < arl0 / 3);
        }
    }

    private static void Add(List<double> pValues, int xBefore, int nBefore, int xNow, int nNow) =>
        pValues.Add(AlertStatistics.OneSidedIncreaseP(xBefore, nBefore, xNow, nNow) ?? 1.0);

    private static int Binomial(Random random, int n, double p)
    {
        var x = 0;
        for (var i = 0; i < n; i++) if (random.NextDouble() < p) x++;
        return x;
    }
}
