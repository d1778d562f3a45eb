using WinLoss.Api.Features.Trends;

namespace WinLoss.Api.Features.Coverage;

/// <summary>A share of closed deals with a rep's report: n = known closed deals, Wilson 95% interval, lowSample when n &lt; minSample.</summary>
public sealed record CoverageRate(long Known, long Reported, double? Rate, double[]? Ci95, bool LowSample);

/// <summary>
/// Selection bias between outcomes: win coverage against loss coverage, pooled two-proportion z-test, two-sided.
/// <c>warning</c> when |z| ≥ 1.96 and both outcomes have at least <see cref="CoverageStatistics.MinBiasSample"/> known deals.
/// </summary>
public sealed record SelectionBias(double? WinCoverage, long WinKnown, double? LossCoverage, long LossKnown, double? Z, bool Warning, bool LowSample);

/// <summary>A rep's share against the rest of their team: two-proportion z-test, two-sided; <c>flagged</c> when |z| ≥ 1.96.</summary>
public sealed record Comparison(double? TeamShare, long TeamN, double? Z, bool Flagged);

/// <summary>
/// The statistics of coverage and data quality, pure (no I/O). Wilson intervals and the pooled z statistic are the
/// trends' own (<see cref="Statistics"/>); the tests check them against values computed by hand.
/// </summary>
public static class CoverageStatistics
{
    /// <summary>Two-sided 5% level: a difference either way counts (reps who skip their wins bias the numbers too).</summary>
    public const double ZTwoSided = 1.96;

    /// <summary>Fewer known won (or lost) deals than this and the normal approximation is too rough to warn on.</summary>
    public const int MinBiasSample = 10;

    public static CoverageRate Rate(long reported, long known, int minSample)
    {
        var ci = Statistics.Wilson(reported, known);
        return new CoverageRate(known, reported, known == 0 ? null : Round((double)reported / known),
            ci is { } c ? [Round(c.Low), Round(c.High)] : null, known < minSample);
    }

    public static SelectionBias Bias(long wonReported, long wonKnown, long lostReported, long lostKnown)
    {
        var z = Statistics.PooledZ(lostReported, lostKnown, wonReported, wonKnown); // > 0: wins covered more than losses
        var lowSample = wonKnown < MinBiasSample || lostKnown < MinBiasSample;
        return new SelectionBias(
            wonKnown == 0 ? null : Round((double)wonReported / wonKnown), wonKnown,
            lostKnown == 0 ? null : Round((double)lostReported / lostKnown), lostKnown,
            z is { } v ? Round(v) : null, !lowSample && z is { } w && Math.Abs(w) >= ZTwoSided, lowSample);
    }

    /// <summary>A rep's <paramref name="x"/> of <paramref name="n"/> against the rest of the team's <paramref name="xRest"/> of <paramref name="nRest"/>.</summary>
    public static Comparison Compare(long x, long n, long xRest, long nRest)
    {
        var z = Statistics.PooledZ(xRest, nRest, x, n); // > 0: the rep's share is higher than the team's
        return new Comparison(nRest == 0 ? null : Round((double)xRest / nRest), nRest, z is { } v ? Round(v) : null,
            z is { } w && Math.Abs(w) >= ZTwoSided);
    }

    /// <summary>The median of <paramref name="values"/> (mean of the middle two for an even count); null when empty.</summary>
    public static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static double Round(double v) => Math.Round(v, 4, MidpointRounding.AwayFromZero);
}
