using WinLoss.Api.Features.Alerts;
using static WinLoss.Api.Features.Alerts.AlertRules;

namespace WinLoss.Tests.Alerts;

/// <summary>From counts to alert verdicts, with the numbers worked out by hand in the comments.</summary>
public sealed class AlertRulesTests
{
    [Fact]
    public void A_period_is_one_family_adjusted_together()
    {
        // A: 10/100 → 25/100: z = 0.15/√(0.175·0.825·0.02) = 2.7914; Φ(2.79) = 0.99736, Φ(2.80) = 0.99744 → p ≈ 0.00263.
        // B: flat 20/100 → 20/100: z = 0, p = 0.5. C: 0 of 100 both times: untestable, outside the family (m = 2).
        // BH with m = 2: q(A) = min(0.00263·2/1, q(B)) = 0.00526; q(B) = 0.5·2/2 = 0.5.
        var scored = ControlFalseDiscoveries(
        [
            new Candidate("objection", "A", 10, 100, 25, 100),
            new Candidate("objection", "B", 20, 100, 20, 100),
            new Candidate("objection", "C", 0, 100, 0, 100),
        ]);
        Assert.Equal(2.7914, scored[0].Z!.Value, 0.0001);
        Assert.Equal(0.00263, scored[0].P!.Value, 0.00002);
        Assert.Equal(0.00526, scored[0].Q!.Value, 0.00004);
        Assert.True(scored[0].Alert);
        Assert.Equal(0.5, scored[1].Q!.Value, 1e-6); // erfc approximation: ~1e-8
        Assert.False(scored[1].Alert);
        Assert.Null(scored[2].Q);
        Assert.False(scored[2].Alert);
    }

    [Fact]
    public void A_lone_raw_5_percent_result_among_ten_tests_is_not_an_alert()
    {
        // 10/100 → 19/100: z = 0.09/√(0.145·0.855·0.02) = 0.09/0.049795 = 1.8074, p ≈ 0.0354 — "rising" by the raw 5% rule.
        // Among nine flat tests (p = 0.5) BH gives it q = min(0.0354·10/1, 0.5·10/10) = 0.354 > 0.10: not an alert.
        var family = new List<Candidate> { new("objection", "price", 10, 100, 19, 100) };
        family.AddRange(Enumerable.Range(0, 9).Select(i => new Candidate("objection", $"flat{i}", 20, 100, 20, 100)));
        var scored = ControlFalseDiscoveries(family, fdr: 0.10);
        Assert.True(scored[0].P < 0.05);
        Assert.Equal(0.354, scored[0].Q!.Value, 0.001);
        Assert.DoesNotContain(scored, s => s.Alert);
    }

    [Fact]
    public void A_falling_share_is_never_an_alert_however_small_q()
    {
        var scored = ControlFalseDiscoveries([new Candidate("objection", "x", 50, 100, 5, 100)]);
        Assert.False(scored[0].Alert);
        Assert.True(scored[0].P > 0.99);
    }

    private static List<DecidedDeal> Deals(DateOnly from, params bool[] won) =>
        won.Select((w, i) => new DecidedDeal(i + 1, $"D{i}", from.AddDays(i / 10), w)).ToList();

    [Fact]
    public void Cusum_fires_on_a_run_of_losses_after_a_40_percent_baseline()
    {
        var start = new DateOnly(2026, 1, 1);
        var monitorFrom = new DateOnly(2026, 6, 1);
        // Baseline: 100 decided deals, 40 won → p0 = 0.40, p1 = 0.30.
        var baseline = Deals(start, Enumerable.Range(0, 100).Select(i => i % 5 < 2).ToArray());
        // Monitored: one win (S stays 0: the run has not started), then 30 losses.
        var monitored = Enumerable.Range(0, 31).Select(i => new DecidedDeal(1000 + i, $"M{i}", monitorFrom.AddDays(i), i == 0)).ToList();
        var result = WatchWinRate([.. baseline, .. monitored], monitorFrom)!;
        Assert.Equal(0.40, result.P0, 1e-12);
        Assert.Equal(0.30, result.P1, 1e-12);
        Assert.Equal(100, result.BaselineDeals);
        Assert.InRange(result.H, 2.0, 3.5);
        // Each loss adds ln(0.7/0.6) = 0.154151: the chart crosses h after ceil(h/0.154151) losses.
        var lossesToFire = (int)Math.Ceiling(result.H / 0.154151);
        Assert.Equal("M1", result.RunStart.DealId);
        Assert.Equal($"M{lossesToFire}", result.FiredAt.DealId);
        Assert.Equal(30, result.DealsSince);
        Assert.Equal(0, result.WonSince);
    }

    [Fact]
    public void No_cusum_without_enough_baseline_or_without_a_drop()
    {
        var monitorFrom = new DateOnly(2026, 6, 1);
        var thin = Deals(new DateOnly(2026, 1, 1), Enumerable.Range(0, 20).Select(i => i % 2 == 0).ToArray());
        var losses = Enumerable.Range(0, 40).Select(i => new DecidedDeal(500 + i, $"L{i}", monitorFrom, false)).ToList();
        Assert.Null(WatchWinRate([.. thin, .. losses], monitorFrom));      // 20 < 30 baseline deals

        var baseline = Deals(new DateOnly(2026, 1, 1), Enumerable.Range(0, 100).Select(i => i % 5 < 2).ToArray());
        var steady = Enumerable.Range(0, 60).Select(i => new DecidedDeal(700 + i, $"S{i}", monitorFrom, i % 5 < 2)).ToList();
        Assert.Null(WatchWinRate([.. baseline, .. steady], monitorFrom));  // still 40%: no alarm
    }

    [Fact]
    public void Shrinkage_uses_one_prior_for_all_competitors()
    {
        // Same hand example as AlertStatisticsTests: α = β = 1.230769; 8 of 10 → 0.740741, 2 of 10 → 2·... = 3.230769/12.461538 = 0.259259.
        var (prior, rates) = Shrink([("a", 2, 10), ("b", 5, 10), ("c", 8, 10), ("none", 0, 0)]);
        Assert.Equal(1.230769, prior!.Alpha, 1e-6);
        Assert.Equal(0.740741, rates["c"].Estimate, 1e-6);
        Assert.Equal(0.259259, rates["a"].Estimate, 1e-6);
        Assert.Equal(0.5, rates["b"].Estimate, 1e-9);
        Assert.False(rates.ContainsKey("none"));
        Assert.True(rates["c"].Low < 0.740741 && rates["c"].High > 0.740741);
    }
}
