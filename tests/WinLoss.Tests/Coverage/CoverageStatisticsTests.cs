using WinLoss.Api.Features.Coverage;

namespace WinLoss.Tests.Coverage;

/// <summary>
/// Expected values computed by hand (Wilson: centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²);
/// pooled z = (p2 − p1)/√(p̂(1−p̂)(1/n1 + 1/n2))), checked with a separate script, never with the code under test.
/// </summary>
public sealed class CoverageStatisticsTests
{
    [Fact]
    public void Coverage_rate_carries_n_and_a_wilson_interval()
    {
        // 38 of 100: p = .38, z² = 3.8416, centre = .399208/1.038416 = .384439, half = 1.887494·√.00245204 = .093465.
        var rate = CoverageStatistics.Rate(38, 100, 20);
        Assert.Equal((100L, 38L, 0.38), (rate.Known, rate.Reported, rate.Rate!.Value));
        Assert.Equal([0.2910, 0.4779], rate.Ci95!);
        Assert.False(rate.LowSample);

        // 30 of 30: the interval's top is 1, the bottom 30/(30 + 3.8416) = .8865.
        Assert.Equal([0.8865, 1.0], CoverageStatistics.Rate(30, 30, 20).Ci95!);
        var few = CoverageStatistics.Rate(0, 5, 20);
        Assert.Equal((0.0, true), (few.Rate!.Value, few.LowSample));
        Assert.Equal(0.4345, few.Ci95![1]); // 3.8416/(5 + 3.8416)
        var none = CoverageStatistics.Rate(0, 0, 20);
        Assert.Null(none.Rate);
        Assert.Null(none.Ci95);
    }

    [Fact]
    public void All_wins_and_a_third_of_losses_reported_is_selection_bias_and_equal_coverage_is_not()
    {
        // Wins 30/30, losses 10/30: p̂ = 40/60 = 2/3, se = √(2/9 · 2/30) = .121716, z = (1 − 1/3)/.121716 = √30 = 5.4772.
        var biased = CoverageStatistics.Bias(30, 30, 10, 30);
        Assert.Equal((1.0, 0.3333, 5.4772, true), (biased.WinCoverage!.Value, biased.LossCoverage!.Value, biased.Z!.Value, biased.Warning));

        var even = CoverageStatistics.Bias(20, 30, 20, 30);
        Assert.Equal((0.0, false), (even.Z!.Value, even.Warning));

        // Losses covered more than wins counts too (two-sided, z < 0): wins 12/40, losses 5/10 → z = −1.1942, not significant.
        var reverse = CoverageStatistics.Bias(12, 40, 5, 10);
        Assert.Equal((-1.1942, false), (reverse.Z!.Value, reverse.Warning));

        // Too few known deals of one outcome: no warning whatever z says (all 9 wins, none of 30 losses).
        var thin = CoverageStatistics.Bias(9, 9, 0, 30);
        Assert.True(thin.LowSample);
        Assert.False(thin.Warning);
    }

    [Fact]
    public void A_rep_is_compared_with_the_rest_of_the_team()
    {
        // Rep 40/100 against the rest 30/50: p̂ = 70/150, z = (.40 − .60)/√(.4667·.5333·(1/100 + 1/50)) = −2.3146.
        var c = CoverageStatistics.Compare(40, 100, 30, 50);
        Assert.Equal((0.6, 50L, -2.3146, true), (c.TeamShare!.Value, c.TeamN, c.Z!.Value, c.Flagged));
        Assert.False(CoverageStatistics.Compare(12, 40, 5, 10).Flagged); // z = −1.1942... mirrored: rest 5/10 vs rep 12/40
        Assert.Null(CoverageStatistics.Compare(3, 10, 0, 0).Z); // a team of one: nothing to compare with
    }

    [Fact]
    public void Median_of_odd_and_even_counts()
    {
        Assert.Equal(3.0, CoverageStatistics.Median([7, 1, 3]));
        Assert.Equal(2.5, CoverageStatistics.Median([4, 1, 2, 3]));
        Assert.Null(CoverageStatistics.Median([]));
    }
}
