using WinLoss.Api.Features.Trends;

namespace WinLoss.Tests.Trends;

/// <summary>Every expected value here comes from outside the code under test (published tables or hand arithmetic).</summary>
public sealed class StatisticsTests
{
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17:857-872,
    // Table II, method 3 (Wilson score, no continuity correction) — also quoted on Wikipedia's "Binomial proportion
    // confidence interval" page.
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_interval_matches_Newcombe_1998(long x, long n, double low, double high)
    {
        var ci = Statistics.Wilson(x, n)!.Value;
        Assert.Equal(low, ci.Low, 0.00006);
        Assert.Equal(high, ci.High, 0.00006);
    }

    [Fact]
    public void Wilson_interval_by_hand_for_one_of_two()
    {
        // p = 0.5, z² = 3.8416, 1 + z²/n = 2.9208; centre = (0.5 + 0.9604) / 2.9208 = 0.5
        // half = 1.96 / 2.9208 × √(0.25/2 + 3.8416/16) = 0.67105 × 0.60424 = 0.40548 → [0.0945, 0.9055]
        var ci = Statistics.Wilson(1, 2)!.Value;
        Assert.Equal(0.0945, ci.Low, 0.0001);
        Assert.Equal(0.9055, ci.High, 0.0001);
    }

    [Fact]
    public void Wilson_interval_is_null_without_evidence() => Assert.Null(Statistics.Wilson(0, 0));

    [Fact]
    public void Pooled_z_by_hand()
    {
        // 10/100 before, 25/100 now: pooled p = 35/200 = 0.175; variance = 0.175 × 0.825 × (1/100 + 1/100) = 0.0028875
        // z = (0.25 − 0.10) / √0.0028875 = 0.15 / 0.0537355 = 2.7914 → rising (≥ 1.645)
        var z = Statistics.PooledZ(10, 100, 25, 100)!.Value;
        Assert.Equal(2.7914, z, 0.0001);
        Assert.True(Statistics.IsRising(z));
    }

    [Fact]
    public void Pooled_z_small_rise_is_not_significant()
    {
        // 20/100 → 25/100: pooled 45/200 = 0.225; var = 0.225 × 0.775 × 0.02 = 0.0034875; z = 0.05 / 0.059055 = 0.8467
        var z = Statistics.PooledZ(20, 100, 25, 100)!.Value;
        Assert.Equal(0.8467, z, 0.0001);
        Assert.False(Statistics.IsRising(z));
    }

    [Fact]
    public void Pooled_z_is_null_without_variance_or_samples()
    {
        Assert.Null(Statistics.PooledZ(0, 0, 3, 10));
        Assert.Null(Statistics.PooledZ(0, 10, 0, 10));
        Assert.False(Statistics.IsRising(null));
    }

    [Theory]
    [InlineData("2021-01-03", "2020-W53")] // Sunday: still in the last ISO week of 2020
    [InlineData("2021-01-04", "2021-W01")]
    [InlineData("2024-12-30", "2025-W01")] // Monday of the first ISO week of 2025
    [InlineData("2026-01-01", "2026-W01")] // Thursday: week 1 holds the year's first Thursday
    [InlineData("2026-01-29", "2026-W05")]
    [InlineData("2027-01-01", "2026-W53")] // Friday: 2026 has 53 ISO weeks
    [InlineData("2010-01-03", "2009-W53")]
    [InlineData("2008-12-29", "2009-W01")]
    public void Iso_week_labels(string day, string label) =>
        Assert.Equal(label, Statistics.PeriodLabel(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture), Granularity.Week));

    [Theory]
    [InlineData("2026-01-01", "2026-01", "2026-Q1")]
    [InlineData("2026-03-31", "2026-03", "2026-Q1")]
    [InlineData("2026-04-01", "2026-04", "2026-Q2")]
    [InlineData("2026-11-27", "2026-11", "2026-Q4")]
    public void Month_and_quarter_labels(string day, string month, string quarter)
    {
        var d = DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(month, Statistics.PeriodLabel(d, Granularity.Month));
        Assert.Equal(quarter, Statistics.PeriodLabel(d, Granularity.Quarter));
    }

    [Fact]
    public void Period_bounds()
    {
        var d = new DateOnly(2026, 1, 1);
        Assert.Equal((new DateOnly(2025, 12, 29), new DateOnly(2026, 1, 4)), Statistics.PeriodBounds(d, Granularity.Week));
        Assert.Equal((new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31)), Statistics.PeriodBounds(d, Granularity.Month));
        Assert.Equal((new DateOnly(2026, 4, 1), new DateOnly(2026, 6, 30)), Statistics.PeriodBounds(new DateOnly(2026, 5, 17), Granularity.Quarter));
        Assert.Equal(new DateOnly(2025, 10, 1), Statistics.PreviousPeriodStart(d, Granularity.Quarter));
        Assert.Equal(new DateOnly(2025, 12, 22), Statistics.PreviousPeriodStart(d, Granularity.Week));
    }
}
