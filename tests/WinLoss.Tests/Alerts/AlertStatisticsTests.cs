using WinLoss.Api.Features.Alerts;

namespace WinLoss.Tests.Alerts;

/// <summary>
/// Alert statistics against numbers from outside the code under test: published tables and values (R's p.adjust,
/// normal quantiles), hand arithmetic written out in the comments, and closed forms.
/// </summary>
public sealed class AlertStatisticsTests
{
    // ------------------------------------------------------------ normal tail and the one-sided two-proportion test

    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1.6448536, 0.05)]   // the 95th percentile of N(0, 1)
    [InlineData(1.9599640, 0.025)]  // the 97.5th percentile
    [InlineData(2.3263479, 0.01)]   // the 99th percentile
    [InlineData(-1.2815516, 0.9)]   // the 10th percentile
    public void Normal_upper_tail_matches_textbook_quantiles(double z, double tail) =>
        Assert.Equal(tail, AlertStatistics.NormalUpperTail(z), 1e-6);

    [Fact]
    public void One_sided_two_proportion_p_by_hand()
    {
        // 10 of 100 before, 20 of 100 now. Pooled p = 30/200 = 0.15; variance = 0.15 × 0.85 × (1/100 + 1/100) = 0.00255;
        // z = 0.10 / √0.00255 = 0.10 / 0.0504975 = 1.98030. Φ(1.98) = 0.97615 (standard normal table), and the density there
        // is 0.05618, so Φ(1.98030) ≈ 0.97615 + 0.0003 × 0.05618 = 0.976167 → p ≈ 0.02383
        // (R: prop.test(c(20, 10), c(100, 100), alternative = "greater", correct = FALSE) gives 0.02383).
        Assert.Equal(0.02383, AlertStatistics.OneSidedIncreaseP(10, 100, 20, 100)!.Value, 0.00002);
        // The same difference the other way round is not evidence of a rise: p = 1 − 0.02383.
        Assert.Equal(0.97617, AlertStatistics.OneSidedIncreaseP(20, 100, 10, 100)!.Value, 0.00002);
    }

    [Fact]
    public void No_test_without_variance_or_samples()
    {
        Assert.Null(AlertStatistics.OneSidedIncreaseP(0, 50, 0, 40));   // pooled 0: nothing ever happens
        Assert.Null(AlertStatistics.OneSidedIncreaseP(0, 0, 3, 10));    // no "before"
    }

    // ------------------------------------------------------------ Benjamini–Hochberg

    /// <summary>
    /// Benjamini &amp; Hochberg (1995), the 15 p-values of their worked example (Table/§4); the adjusted values are those
    /// printed by R's <c>p.adjust(p, "BH")</c> and by SciPy's <c>false_discovery_control</c> documentation. At q = 0.05
    /// the procedure rejects the four smallest, as in the paper.
    /// </summary>
    [Fact]
    public void Benjamini_Hochberg_matches_the_published_1995_example()
    {
        double[] p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000];
        double[] expected = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.06385714, 0.06385714, 0.0645, 0.0765, 0.486, 0.58118182, 0.714875, 0.75323077, 0.81321429, 1.0];
        var q = AlertStatistics.BenjaminiHochberg(p);
        for (var i = 0; i < p.Length; i++) Assert.Equal(expected[i], q[i], 1e-8);
        Assert.Equal(4, q.Count(x => x <= 0.05));
    }

    [Fact]
    public void Benjamini_Hochberg_keeps_the_input_order_and_takes_the_running_minimum()
    {
        // m = 5, input order shuffled. Sorted: 0.01 (rank 1), 0.02 (2), 0.04 (3), 0.60 (4), 0.90 (5).
        // p·m/rank: 0.05, 0.05, 0.0667, 0.75, 0.90 — already increasing, so those are the q-values.
        var q = AlertStatistics.BenjaminiHochberg([0.60, 0.01, 0.90, 0.04, 0.02]);
        Assert.Equal([0.75, 0.05, 0.90, 0.2 / 3, 0.05], q.Select(x => Math.Round(x, 10)).ToArray(), new ToleranceComparer(1e-9));
        // Ties share the adjusted value of the larger rank: R gives p.adjust(c(0.03, 0.03, 0.5), "BH") = 0.045 0.045 0.5.
        Assert.Equal([0.045, 0.045, 0.5], AlertStatistics.BenjaminiHochberg([0.03, 0.03, 0.5]), new ToleranceComparer(1e-12));
    }

    // ------------------------------------------------------------ Bernoulli CUSUM

    [Fact]
    public void Cusum_by_hand_for_a_halving_win_rate()
    {
        // p0 = 0.5, p1 = 0.25: a win adds ln(0.25/0.5) = −0.693147, a loss adds ln(0.75/0.5) = +0.405465.
        // Deals L L W L L L: S = 0.405465, 0.810930, 0.117783, 0.523248, 0.928713, 1.334178.
        bool[] won = [false, false, true, false, false, false];
        var s = 0.0;
        double[] expected = [0.405465, 0.810930, 0.117783, 0.523248, 0.928713, 1.334178];
        for (var i = 0; i < won.Length; i++)
        {
            s = AlertStatistics.CusumStep(s, won[i], 0.5, 0.25);
            Assert.Equal(expected[i], s, 1e-6);
        }
        // With h = 1.2 it fires at the sixth deal (index 5); the run began at the first deal (S never returned to 0).
        var outcome = AlertStatistics.Cusum(won, 0.5, 0.25, 1.2);
        Assert.Equal(5, outcome.FiredAt);
        Assert.Equal(0, outcome.RunStart);
        // Two wins in a row reset it: W W after the first loss brings S to max(0, 0.405 − 1.386) = 0; the run restarts after.
        var reset = AlertStatistics.Cusum([false, true, true, false, false], 0.5, 0.25, 10);
        Assert.Null(reset.FiredAt);
        Assert.Equal(3, reset.RunStart);
        Assert.Equal(0.810930, reset.Statistic, 1e-6);
    }

    [Fact]
    public void Cusum_average_run_length_agrees_with_simulation()
    {
        // The Markov-chain ARL against plain Monte Carlo of the same chart (independent: it simulates the real CUSUM).
        const double p0 = 0.4, p1 = 0.3, h = 3.0;
        var markov = AlertStatistics.CusumArl(p0, p1, h, p0);
        var random = new Random(1999);
        const int runs = 3000;
        double total = 0;
        for (var r = 0; r < runs; r++) total += RunLength(random, p0, p1, h, p0);
        var simulated = total / runs;
        // Run lengths are roughly geometric: sd ≈ mean, so the standard error of the mean is ≈ mean/√3000 ≈ 1.8%.
        Assert.InRange(markov / simulated, 0.94, 1.06);
    }

    [Theory]
    [InlineData(0.40)]
    [InlineData(0.20)]
    [InlineData(0.65)]
    public void Cusum_threshold_gives_an_in_control_run_length_of_at_least_500_deals(double p0)
    {
        var h = AlertStatistics.CusumThreshold(p0);
        var random = new Random(500);
        const int runs = 2000;
        double total = 0;
        for (var r = 0; r < runs; r++) total += RunLength(random, p0, p0 * 0.75, h, p0);
        var arl = total / runs;
        // Simulated in-control ARL ≥ 500 up to sampling error (≈ 2.2% standard error): ≥ 500 × 0.93.
        Assert.True(arl >= 465, $"p0 = {p0}: h = {h}, simulated ARL0 = {arl:F0}");
        // ...and h is not needlessly high: a chart with h − 0.3 has a clearly shorter ARL0.
        Assert.True(AlertStatistics.CusumArl(p0, p0 * 0.75, h - 0.3, p0) < 500);
    }

    private static int RunLength(Random random, double p0, double p1, double h, double p)
    {
        double win = Math.Log(p1 / p0), loss = Math.Log((1 - p1) / (1 - p0));
        var s = 0.0;
        for (var t = 1; ; t++)
        {
            s = Math.Max(0, s + (random.NextDouble() < p ? win : loss));
            if (s >= h || t > 1_000_000) return t;
        }
    }

    // ------------------------------------------------------------ empirical Bayes

    [Fact]
    public void Beta_prior_by_method_of_moments_by_hand()
    {
        // Three competitors, 10 deals each, 2, 5 and 8 wins: raw rates 0.2, 0.5, 0.8; pooled μ = 15/30 = 0.5.
        // s² = (0.09 + 0 + 0.09) / 2 = 0.09; μ(1−μ) = 0.25; mean(1/n) = 0.1
        // ρ = (0.09/0.25 − 0.1) / (1 − 0.1) = 0.26/0.9 = 0.288889; α+β = 1/ρ − 1 = 2.461538; α = β = 1.230769.
        var prior = AlertStatistics.FitBetaPrior([(2, 10), (5, 10), (8, 10)])!;
        Assert.Equal(1.230769, prior.Alpha, 1e-6);
        Assert.Equal(1.230769, prior.Beta, 1e-6);
        // 8 of 10 shrinks to (1.230769 + 8) / (2.461538 + 10) = 9.230769 / 12.461538 = 0.740741.
        Assert.Equal(0.740741, AlertStatistics.Shrink(8, 10, prior).Estimate, 1e-6);
    }

    [Fact]
    public void Three_of_four_does_not_read_as_75_percent()
    {
        // Twelve competitors with real spread (win rates 25% to 55% on 50-120 deals), and one newcomer at 3 of 4.
        var groups = new List<(long, long)> { (15, 60), (24, 80), (55, 100), (36, 120), (25, 50), (45, 90), (21, 70), (50, 110), (27, 75), (38, 95), (20, 65), (40, 85) };
        var prior = AlertStatistics.FitBetaPrior(groups)!;
        var newcomer = AlertStatistics.Shrink(3, 4, prior);
        Assert.InRange(newcomer.Estimate, 0.38, 0.50);      // pulled most of the way to the ~40% of the field
        Assert.True(newcomer.Low < 0.40 && newcomer.High < 0.75);
        // A competitor with plenty of deals keeps (nearly) its own rate.
        var big = AlertStatistics.Shrink(50, 110, prior);
        Assert.InRange(big.Estimate, 0.42, 0.46);           // raw 0.4545
    }

    [Fact]
    public void Incomplete_beta_matches_binomial_sums_and_closed_forms()
    {
        // For integers a, b: I_x(a, b) = P(Binomial(a+b−1, x) ≥ a) — summed here term by term.
        foreach (var (x, a, b) in new[] { (0.3, 3, 7), (0.55, 5, 4), (0.1, 1, 12), (0.9, 12, 2) })
        {
            var n = a + b - 1;
            double sum = 0;
            for (var k = a; k <= n; k++) sum += Choose(n, k) * Math.Pow(x, k) * Math.Pow(1 - x, n - k);
            Assert.Equal(sum, AlertStatistics.RegularizedBeta(x, a, b), 1e-10);
        }
        // Beta(2, 1) has CDF x², so its quantiles are √p; Beta(1, 1) is uniform.
        Assert.Equal(Math.Sqrt(0.025), AlertStatistics.BetaQuantile(0.025, 2, 1), 1e-9);
        Assert.Equal(0.975, AlertStatistics.BetaQuantile(0.975, 1, 1), 1e-9);
        // ln Γ(5) = ln 24, ln Γ(0.5) = ln √π.
        Assert.Equal(Math.Log(24), AlertStatistics.LogGamma(5), 1e-12);
        Assert.Equal(0.5 * Math.Log(Math.PI), AlertStatistics.LogGamma(0.5), 1e-12);
    }

    [Fact]
    public void Beta_quantiles_from_the_newton_bracket_equal_plain_bisection_to_the_last_bit()
    {
        // Against plain bisection (the reference), shapes from tiny to a million deals.
        var random = new Random(15);
        for (var k = 0; k < 2_000; k++)
        {
            var deals = random.Next(1, k % 2 == 0 ? 50 : 1_000_000);
            var won = random.Next(0, deals + 1);
            double a = random.NextDouble() * (k % 3 == 0 ? 1 : 5_000) + 0.001 + won, b = random.NextDouble() * (k % 5 == 0 ? 1 : 5_000) + 0.001 + deals - won;
            foreach (var p in new[] { 0.025, 0.975, random.NextDouble() })
            {
                var expected = Bisect(p, a, b);
                Assert.Equal(expected, AlertStatistics.BetaQuantile(p, a, b));
                Assert.Equal(Math.Round(expected, 4, MidpointRounding.AwayFromZero), AlertStatistics.BetaQuantile(p, a, b, digits: 4));
            }
        }
    }

    [Fact]
    public void A_quantile_on_a_rounding_tie_rounds_as_plain_bisection_does()
    {
        // Uniform Beta(1, 1): the p quantile is p, so 0.25 sits on the tie between 0.2 and 0.3, 0.125 between 0.12 and 0.13;
        // a symmetric beta's median 0.5 sits between 0 and 1.
        foreach (var (p, a, b, digits) in new[] { (0.25, 1.0, 1.0, 1), (0.125, 1.0, 1.0, 2), (0.5, 0.5, 0.5, 0), (0.5, 2.0, 2.0, 0), (0.5, 40.0, 40.0, 0) })
            Assert.Equal(Math.Round(Bisect(p, a, b), digits, MidpointRounding.AwayFromZero), AlertStatistics.BetaQuantile(p, a, b, digits));
    }

    /// <summary>The reference quantile: 60 halvings of [0, 1] on I_x(a, b), as the quantile is defined.</summary>
    private static double Bisect(double p, double a, double b)
    {
        double low = 0, high = 1;
        for (var i = 0; i < 60; i++)
        {
            var mid = (low + high) / 2;
            if (AlertStatistics.RegularizedBeta(mid, a, b) < p) low = mid; else high = mid;
        }
        return (low + high) / 2;
    }

    private static double Choose(int n, int k)
    {
        double r = 1;
        for (var i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
