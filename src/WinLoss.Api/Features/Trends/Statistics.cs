using System.Globalization;

namespace WinLoss.Api.Features.Trends;

/// <summary>The time buckets of a trend: ISO weeks (Monday first), calendar months, calendar quarters.</summary>
public enum Granularity { Week, Month, Quarter }

/// <summary>
/// The statistics every trend uses, in one pure module (no I/O): Wilson 95% intervals, the pooled
/// two-proportion z-test behind "rising", and period labels and bounds.
/// </summary>
public static class Statistics
{
    /// <summary>Two-sided 95% normal quantile.</summary>
    public const double Z95 = 1.96;

    /// <summary>One-sided 5% normal quantile: a rise is flagged when z ≥ this.</summary>
    public const double ZRising = 1.645;

    /// <summary>
    /// Wilson score interval for <paramref name="successes"/> out of <paramref name="n"/> (Wilson 1927;
    /// Newcombe 1998 method 3): centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²).
    /// Null when n is 0 (no evidence, no interval).
    /// </summary>
    public static (double Low, double High)? Wilson(long successes, long n, double z = Z95)
    {
        if (n <= 0) return null;
        if (successes < 0 || successes > n) throw new ArgumentOutOfRangeException(nameof(successes));
        var p = (double)successes / n;
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2.0 * n)) / denominator;
        var half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Pooled two-proportion z statistic for "period 2 is higher than period 1":
    /// z = (p2 − p1) / √(p̂(1−p̂)(1/n1 + 1/n2)), p̂ = (x1 + x2)/(n1 + n2). Null when either sample is
    /// empty or the pooled proportion is 0 or 1 (no variance: no test).
    /// </summary>
    public static double? PooledZ(long x1, long n1, long x2, long n2)
    {
        if (n1 <= 0 || n2 <= 0) return null;
        var pooled = (double)(x1 + x2) / (n1 + n2);
        var variance = pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2);
        if (variance <= 0) return null;
        return ((double)x2 / n2 - (double)x1 / n1) / Math.Sqrt(variance);
    }

    /// <summary>One-sided test at the 5% level: z ≥ 1.645.</summary>
    public static bool IsRising(double? z) => z is { } v && v >= ZRising;

    /// <summary>Label of the period holding <paramref name="day"/>: 2026-W05 (ISO week-year), 2026-01, 2026-Q1.</summary>
    public static string PeriodLabel(DateOnly day, Granularity granularity) => granularity switch
    {
        Granularity.Week => string.Create(CultureInfo.InvariantCulture,
            $"{ISOWeek.GetYear(day.ToDateTime(TimeOnly.MinValue)):D4}-W{ISOWeek.GetWeekOfYear(day.ToDateTime(TimeOnly.MinValue)):D2}"),
        Granularity.Month => string.Create(CultureInfo.InvariantCulture, $"{day.Year:D4}-{day.Month:D2}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{day.Year:D4}-Q{(day.Month + 2) / 3}"),
    };

    /// <summary>First and last day of the period holding <paramref name="day"/>.</summary>
    public static (DateOnly Start, DateOnly End) PeriodBounds(DateOnly day, Granularity granularity)
    {
        switch (granularity)
        {
            case Granularity.Week:
                var start = day.AddDays(-(((int)day.DayOfWeek + 6) % 7)); // back to Monday
                return (start, start.AddDays(6));
            case Granularity.Month:
                var first = new DateOnly(day.Year, day.Month, 1);
                return (first, first.AddMonths(1).AddDays(-1));
            default:
                var q = new DateOnly(day.Year, (day.Month - 1) / 3 * 3 + 1, 1);
                return (q, q.AddMonths(3).AddDays(-1));
        }
    }

    /// <summary>The period before the one holding <paramref name="day"/> (its first day).</summary>
    public static DateOnly PreviousPeriodStart(DateOnly day, Granularity granularity) =>
        PeriodBounds(PeriodBounds(day, granularity).Start.AddDays(-1), granularity).Start;

    public static bool TryParseGranularity(string? value, out Granularity granularity)
    {
        switch (value)
        {
            case null or "month": granularity = Granularity.Month; return true;
            case "week": granularity = Granularity.Week; return true;
            case "quarter": granularity = Granularity.Quarter; return true;
            default: granularity = Granularity.Month; return false;
        }
    }
}
