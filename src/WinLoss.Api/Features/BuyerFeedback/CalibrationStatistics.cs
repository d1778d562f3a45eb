namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>McNemar's paired test on one reason: b = deals where only the rep named it, c = only the buyer.</summary>
/// <param name="Method">"exact" (two-sided binomial, b + c &lt; 25) or "chi2" (χ² with continuity correction).</param>
/// <param name="Statistic">χ² for the chi2 method; null for the exact test.</param>
public sealed record McNemarResult(long RepOnly, long BuyerOnly, string Method, double? Statistic, double PValue);

/// <summary>Cohen's kappa on a square agreement matrix, with its large-sample standard error and 95% interval.</summary>
public sealed record KappaResult(long N, double ObservedAgreement, double ExpectedAgreement, double Kappa, double StandardError, double Low, double High);

/// <summary>One category's calibrated share with its bootstrap 95% interval. <c>Calibrated</c> is false when no paired deal
/// had this category as the rep's answer (its rep share is then carried over as reported).</summary>
public sealed record CalibratedShare(int Category, double RepShare, double Share, double Low, double High, bool Calibrated);

/// <summary>
/// The statistics of the rep-vs-buyer calibration report, as pure functions (no I/O): McNemar's test, Cohen's kappa,
/// and the correction of rep-reported reason shares by the confusion matrix of paired deals, with a bootstrap interval.
/// </summary>
public static class CalibrationStatistics
{
    /// <summary>Below this many discordant pairs McNemar's test is the exact binomial one.</summary>
    public const long ExactBelow = 25;

    /// <summary>
    /// McNemar (1947). Under the null (rep and buyer name the reason equally often) each discordant pair is a fair coin:
    /// exact two-sided p = min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½); for b + c ≥ 25,
    /// χ² = (|b − c| − 1)² / (b + c) on 1 degree of freedom. No discordant pair: p = 1.
    /// </summary>
    public static McNemarResult McNemar(long repOnly, long buyerOnly)
    {
        if (repOnly < 0 || buyerOnly < 0) throw new ArgumentOutOfRangeException(nameof(repOnly));
        var n = repOnly + buyerOnly;
        if (n == 0) return new McNemarResult(repOnly, buyerOnly, "exact", null, 1.0);
        if (n < ExactBelow)
        {
            var k = Math.Min(repOnly, buyerOnly);
            double tail = 0;
            for (var i = 0; i <= k; i++) tail += Math.Exp(LogChoose(n, i) - n * Math.Log(2));
            return new McNemarResult(repOnly, buyerOnly, "exact", null, Math.Min(1.0, 2 * tail));
        }
        var d = Math.Abs(repOnly - buyerOnly) - 1.0;
        var chi2 = Math.Max(0, d) * Math.Max(0, d) / n;
        return new McNemarResult(repOnly, buyerOnly, "chi2", chi2, Erfc(Math.Sqrt(chi2 / 2)));
    }

    /// <summary>
    /// Cohen's kappa (1960) for a k×k matrix (rows: rep, columns: buyer): κ = (pₒ − pₑ)/(1 − pₑ), pₒ = Σ pᵢᵢ,
    /// pₑ = Σ pᵢ.·p.ᵢ. Standard error by Fleiss, Cohen and Everitt (1969):
    /// Var = [Σᵢ pᵢᵢ(1 − (pᵢ. + p.ᵢ)(1 − κ))² + (1 − κ)² Σᵢ≠ⱼ pᵢⱼ(p.ᵢ + pⱼ.)² − (κ − pₑ(1 − κ))²] / (n(1 − pₑ)²);
    /// interval κ ± 1.96·SE, clipped to [−1, 1]. Null when n = 0 or pₑ = 1 (one category only: agreement is not measurable).
    /// </summary>
    public static KappaResult? Kappa(long[,] matrix)
    {
        var k = matrix.GetLength(0);
        if (matrix.GetLength(1) != k) throw new ArgumentException("The matrix must be square.", nameof(matrix));
        long n = 0;
        foreach (var v in matrix) n += v;
        if (n == 0) return null;
        var row = new double[k];
        var col = new double[k];
        double po = 0;
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
            {
                var p = (double)matrix[i, j] / n;
                row[i] += p;
                col[j] += p;
                if (i == j) po += p;
            }
        double pe = 0;
        for (var i = 0; i < k; i++) pe += row[i] * col[i];
        if (pe >= 1 - 1e-12) return null;
        var kappa = (po - pe) / (1 - pe);

        double a = 0, b = 0;
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
            {
                var p = (double)matrix[i, j] / n;
                if (i == j) a += p * Math.Pow(1 - (row[i] + col[i]) * (1 - kappa), 2);
                else b += p * Math.Pow(col[i] + row[j], 2);
            }
        b *= (1 - kappa) * (1 - kappa);
        var c = Math.Pow(kappa - pe * (1 - kappa), 2);
        var variance = Math.Max(0, (a + b - c) / (n * (1 - pe) * (1 - pe)));
        var se = Math.Sqrt(variance);
        return new KappaResult(n, po, pe, kappa, se, Math.Max(-1, kappa - Trends.Statistics.Z95 * se), Math.Min(1, kappa + Trends.Statistics.Z95 * se));
    }

    /// <summary>
    /// Calibrated shares: what buyers would name as the primary reason across all deals, estimated from what reps named.
    /// <paramref name="paired"/>[i, j] counts paired deals whose rep named category i and whose buyer named j;
    /// <paramref name="repCounts"/>[i] counts all deals (paired or not) whose rep named i. Then
    /// share(j) = Σᵢ qᵢ·P(buyer = j | rep = i), qᵢ = repCounts[i]/Σ repCounts, P(j | i) = paired[i, j]/Σⱼ paired[i, j]
    /// (the regression-calibration estimator; it assumes the paired deals are like the others given the rep's answer).
    /// A category no paired rep named keeps its rep share (P(j | i) = 1 when j = i) and is marked not calibrated.
    /// </summary>
    public static double[] CalibratedPoint(long[,] paired, long[] repCounts)
    {
        var k = repCounts.Length;
        if (paired.GetLength(0) != k || paired.GetLength(1) != k) throw new ArgumentException("paired must be k×k for k categories.", nameof(paired));
        long total = 0;
        foreach (var m in repCounts) total += m;
        var shares = new double[k];
        if (total == 0) return shares;
        for (var i = 0; i < k; i++)
        {
            if (repCounts[i] == 0) continue;
            var q = (double)repCounts[i] / total;
            long rowTotal = 0;
            for (var j = 0; j < k; j++) rowTotal += paired[i, j];
            if (rowTotal == 0) { shares[i] += q; continue; }
            for (var j = 0; j < k; j++) shares[j] += q * paired[i, j] / rowTotal;
        }
        return shares;
    }

    /// <summary>
    /// <see cref="CalibratedPoint"/> with a percentile bootstrap 95% interval: each of <paramref name="samples"/> replicates
    /// resamples the paired deals (with replacement, n of them) and redraws the rep counts from a multinomial with the
    /// observed proportions, then recomputes every share. Deterministic for a given <paramref name="seed"/>.
    /// </summary>
    public static IReadOnlyList<CalibratedShare> Calibrate(long[,] paired, long[] repCounts, int samples = 1000, int seed = 19)
    {
        var k = repCounts.Length;
        var point = CalibratedPoint(paired, repCounts);
        long total = repCounts.Sum();
        var pairs = new List<(int Rep, int Buyer)>();
        var rowHasPairs = new bool[k];
        for (var i = 0; i < k; i++)
            for (var j = 0; j < k; j++)
                for (long x = 0; x < paired[i, j]; x++) { pairs.Add((i, j)); rowHasPairs[i] = true; }

        var rng = new Random(seed);
        var draws = new double[k][];
        for (var j = 0; j < k; j++) draws[j] = new double[samples];
        var m = new long[k, k];
        var counts = new long[k];
        var probabilities = repCounts.Select(c => total == 0 ? 0 : (double)c / total).ToArray();
        for (var s = 0; s < samples; s++)
        {
            Array.Clear(m);
            for (var x = 0; x < pairs.Count; x++)
            {
                var (i, j) = pairs[rng.Next(pairs.Count)];
                m[i, j]++;
            }
            Multinomial(rng, total, probabilities, counts);
            var shares = CalibratedPoint(m, counts);
            for (var j = 0; j < k; j++) draws[j][s] = shares[j];
        }

        var result = new List<CalibratedShare>(k);
        for (var j = 0; j < k; j++)
        {
            Array.Sort(draws[j]);
            var low = samples == 0 ? point[j] : Quantile(draws[j], 0.025);
            var high = samples == 0 ? point[j] : Quantile(draws[j], 0.975);
            result.Add(new CalibratedShare(j, total == 0 ? 0 : (double)repCounts[j] / total, point[j], Math.Min(low, point[j]), Math.Max(high, point[j]),
                rowHasPairs[j] || repCounts[j] == 0));
        }
        return result;
    }

    /// <summary>Linear interpolation between order statistics (type 7, as R's default) of a sorted sample.</summary>
    public static double Quantile(double[] sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("empty sample", nameof(sorted));
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>Multinomial draw by conditional binomials.</summary>
    public static void Multinomial(Random rng, long n, double[] p, long[] counts)
    {
        var left = n;
        var mass = 1.0;
        for (var i = 0; i < p.Length; i++)
        {
            if (i == p.Length - 1 || left == 0 || mass <= 0) { counts[i] = i == p.Length - 1 ? left : 0; left -= counts[i]; continue; }
            var q = Math.Clamp(p[i] / mass, 0, 1);
            counts[i] = Binomial(rng, left, q);
            left -= counts[i];
            mass -= p[i];
        }
    }

    /// <summary>Binomial(n, p) draw: Bernoulli sum for small n, inversion for a small mean, normal approximation otherwise.</summary>
    public static long Binomial(Random rng, long n, double p)
    {
        if (n <= 0 || p <= 0) return 0;
        if (p >= 1) return n;
        if (n <= 200)
        {
            long x = 0;
            for (long i = 0; i < n; i++) if (rng.NextDouble() < p) x++;
            return x;
        }
        var flip = p > 0.5;
        var pp = flip ? 1 - p : p;
        var mean = n * pp;
        long draw;
        if (mean < 30)
        {
            // Inversion: walk the pmf from 0 (the mean is small, so this is a few dozen steps).
            var u = rng.NextDouble();
            var pmf = Math.Exp(n * Math.Log(1 - pp));
            var cdf = pmf;
            long k = 0;
            while (u > cdf && k < n)
            {
                pmf *= (double)(n - k) / (k + 1) * pp / (1 - pp);
                k++;
                cdf += pmf;
            }
            draw = k;
        }
        else
        {
            var z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            draw = Math.Clamp((long)Math.Round(mean + z * Math.Sqrt(mean * (1 - pp))), 0, n);
        }
        return flip ? n - draw : draw;
    }

    private static double LogChoose(long n, long k) => LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);

    private static double LogFactorial(long n)
    {
        double sum = 0;
        for (long i = 2; i <= n; i++) sum += Math.Log(i);
        return sum;
    }

    /// <summary>Complementary error function (Numerical Recipes erfcc, Chebyshev fit, fractional error &lt; 1.2e-7).</summary>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
