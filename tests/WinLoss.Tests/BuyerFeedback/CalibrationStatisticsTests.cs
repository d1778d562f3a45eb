using WinLoss.Api.Features.BuyerFeedback;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>The calibration statistics against values worked out by hand (the arithmetic is in each test's comments).</summary>
public sealed class CalibrationStatisticsTests
{
    [Fact]
    public void McNemar_exact_for_one_rep_only_and_nine_buyer_only_deals()
    {
        // n = 10 discordant pairs, min = 1: p = 2·(C(10,0) + C(10,1))/2^10 = 2·11/1024 = 0.021484375
        var r = CalibrationStatistics.McNemar(1, 9);
        Assert.Equal("exact", r.Method);
        Assert.Null(r.Statistic);
        Assert.Equal(0.021484375, r.PValue, 9);
    }

    [Fact]
    public void McNemar_exact_is_capped_at_one_and_is_one_without_discordant_pairs()
    {
        // 5 vs 5: 2·P(X ≤ 5 | n = 10) = 2·638/1024 > 1 → 1
        Assert.Equal(1.0, CalibrationStatistics.McNemar(5, 5).PValue, 12);
        Assert.Equal(1.0, CalibrationStatistics.McNemar(0, 0).PValue, 12);
        // 0 vs 3: 2·(1/8) = 0.25
        Assert.Equal(0.25, CalibrationStatistics.McNemar(0, 3).PValue, 12);
    }

    [Fact]
    public void McNemar_chi_square_with_continuity_correction_for_large_counts()
    {
        // b = 30, c = 12: χ² = (|30 − 12| − 1)²/42 = 289/42 = 6.8810; P(χ²₁ ≥ 6.8810) = 0.00871 (table: 6.635 → 0.01, 7.879 → 0.005)
        var r = CalibrationStatistics.McNemar(30, 12);
        Assert.Equal("chi2", r.Method);
        Assert.Equal(289.0 / 42, r.Statistic!.Value, 9);
        Assert.Equal(0.008712, r.PValue, 5);
    }

    [Fact]
    public void Kappa_two_by_two_worked_by_hand()
    {
        // [[20, 5], [10, 15]], n = 50: pₒ = 35/50 = 0.7; rows 0.5, 0.5; columns 0.6, 0.4; pₑ = 0.5·0.6 + 0.5·0.4 = 0.5; κ = 0.2/0.5 = 0.4.
        // A = 0.4·(1 − 1.1·0.6)² + 0.3·(1 − 0.9·0.6)² = 0.04624 + 0.06348 = 0.10972
        // B = 0.6²·(0.1·(0.6 + 0.5)² + 0.2·(0.4 + 0.5)²) = 0.36·0.283 = 0.10188;  C = (0.4 − 0.5·0.6)² = 0.01
        // Var = (0.10972 + 0.10188 − 0.01)/(50·0.5²) = 0.016128; SE = 0.126996; 95%: 0.4 ± 0.248912
        var k = CalibrationStatistics.Kappa(new long[,] { { 20, 5 }, { 10, 15 } })!;
        Assert.Equal(50, k.N);
        Assert.Equal(0.7, k.ObservedAgreement, 12);
        Assert.Equal(0.5, k.ExpectedAgreement, 12);
        Assert.Equal(0.4, k.Kappa, 12);
        Assert.Equal(0.126996, k.StandardError, 6);
        Assert.Equal(0.151088, k.Low, 5);
        Assert.Equal(0.648912, k.High, 5);
    }

    [Fact]
    public void Kappa_three_categories_worked_by_hand()
    {
        // rows (rep) 25, 15, 10; columns (buyer) 12, 22, 16; n = 50; diagonal 10 + 12 + 7 = 29.
        // pₒ = 0.58; pₑ = (25·12 + 15·22 + 10·16)/2500 = 790/2500 = 0.316; κ = 0.264/0.684 = 0.385965
        var k = CalibrationStatistics.Kappa(new long[,] { { 10, 8, 7 }, { 1, 12, 2 }, { 1, 2, 7 } })!;
        Assert.Equal(0.58, k.ObservedAgreement, 12);
        Assert.Equal(0.316, k.ExpectedAgreement, 12);
        Assert.Equal(0.264 / 0.684, k.Kappa, 12);
        Assert.True(k.Low < k.Kappa && k.Kappa < k.High);
    }

    [Fact]
    public void Kappa_is_perfect_on_a_diagonal_and_undefined_with_one_category_or_no_data()
    {
        var perfect = CalibrationStatistics.Kappa(new long[,] { { 7, 0 }, { 0, 3 } })!;
        Assert.Equal(1.0, perfect.Kappa, 12);
        Assert.Equal(0.0, perfect.StandardError, 12);
        Assert.Null(CalibrationStatistics.Kappa(new long[,] { { 9, 0 }, { 0, 0 } })); // pₑ = 1
        Assert.Null(CalibrationStatistics.Kappa(new long[,] { { 0, 0 }, { 0, 0 } }));
    }

    [Fact]
    public void Calibrated_shares_worked_by_hand()
    {
        // Paired deals: rep said price 8 times (buyer: price 2, product gap 6); rep said product gap 4 times (buyer agreed 4).
        // All lost deals: rep price 60, rep product gap 40.
        // P(buyer price | rep price) = 2/8 = 0.25, P(gap | price) = 0.75, P(gap | gap) = 1.
        // price = 0.6·0.25 = 0.15; gap = 0.6·0.75 + 0.4·1 = 0.85 (reps' raw shares were 0.60 / 0.40).
        var shares = CalibrationStatistics.CalibratedPoint(new long[,] { { 2, 6 }, { 0, 4 } }, [60, 40]);
        Assert.Equal(0.15, shares[0], 12);
        Assert.Equal(0.85, shares[1], 12);
    }

    [Fact]
    public void A_category_no_paired_rep_named_keeps_its_rep_share_and_is_marked_uncalibrated()
    {
        // As above plus timing: 10 lost deals, never in a paired deal. q = 60/110, 40/110, 10/110.
        // price = (60/110)·0.25 = 15/110; gap = (60/110)·0.75 + 40/110 = 85/110; timing = 10/110 (carried over).
        var paired = new long[,] { { 2, 6, 0 }, { 0, 4, 0 }, { 0, 0, 0 } };
        var result = CalibrationStatistics.Calibrate(paired, [60, 40, 10], samples: 200);
        Assert.Equal(15.0 / 110, result[0].Share, 12);
        Assert.Equal(85.0 / 110, result[1].Share, 12);
        Assert.Equal(10.0 / 110, result[2].Share, 12);
        Assert.Equal(60.0 / 110, result[0].RepShare, 12);
        Assert.True(result[0].Calibrated);
        Assert.False(result[2].Calibrated);
        foreach (var r in result) Assert.True(r.Low <= r.Share && r.Share <= r.High, $"{r}");
        // 8 paired deals behind the price row: the interval is wide, not a false certainty
        Assert.True(result[0].High - result[0].Low > 0.1, $"{result[0]}");
    }

    [Fact]
    public void The_bootstrap_is_deterministic_for_a_seed_and_narrows_with_more_paired_deals()
    {
        var few = CalibrationStatistics.Calibrate(new long[,] { { 2, 6 }, { 0, 4 } }, [60, 40]);
        var again = CalibrationStatistics.Calibrate(new long[,] { { 2, 6 }, { 0, 4 } }, [60, 40]);
        Assert.Equal(few, again);
        var many = CalibrationStatistics.Calibrate(new long[,] { { 50, 150 }, { 0, 100 } }, [6000, 4000]);
        Assert.Equal(0.15, many[0].Share, 12);
        Assert.True(many[0].High - many[0].Low < (few[0].High - few[0].Low) / 2, $"{many[0]} vs {few[0]}");
    }

    [Fact]
    public void Binomial_draws_have_the_right_mean_in_every_regime()
    {
        var rng = new Random(3);
        foreach (var (n, p) in new[] { (50L, 0.3), (10_000L, 0.001), (10_000L, 0.4), (1_000_000L, 0.97) })
        {
            double sum = 0;
            const int draws = 2000;
            for (var i = 0; i < draws; i++) sum += CalibrationStatistics.Binomial(rng, n, p);
            var mean = sum / draws;
            var se = Math.Sqrt(n * p * (1 - p) / draws);
            Assert.True(Math.Abs(mean - n * p) < 5 * se + 1e-9, $"n={n} p={p}: mean {mean}, expected {n * p}");
        }
    }

    [Fact]
    public void Erfc_matches_table_values()
    {
        Assert.Equal(1.0, CalibrationStatistics.Erfc(0), 6);
        Assert.Equal(0.157299, CalibrationStatistics.Erfc(1), 6);   // erfc(1)
        Assert.Equal(0.004678, CalibrationStatistics.Erfc(2), 6);   // erfc(2)
        Assert.Equal(1.842701, CalibrationStatistics.Erfc(-1), 6);
    }
}
