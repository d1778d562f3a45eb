using System.Collections.Concurrent;

namespace WinLoss.Api.Features.Alerts;

/// <summary>
/// The statistics behind alerts, pure (no I/O): one-sided two-proportion p-values, Benjamini–Hochberg q-values
/// (false-discovery control over a period's family of tests), the Bernoulli CUSUM of Reynolds &amp; Stoumbos (1999)
/// for a falling win rate with its threshold chosen for an in-control average run length, and empirical-Bayes
/// (beta-binomial) shrinkage of small-sample win rates. The numeric building blocks (normal tail, log-gamma,
/// regularized incomplete beta and its inverse) are here too, so nothing depends on a statistics package.
/// </summary>
public static class AlertStatistics
{
    // ---------------------------------------------------------------- normal distribution

    /// <summary>P(Z ≥ z) for a standard normal Z (complementary error function; relative error &lt; 1.2e-7).</summary>
    public static double NormalUpperTail(double z) => 0.5 * Erfc(z / Math.Sqrt(2));

    /// <summary>erfc(x), Chebyshev fit of Numerical Recipes (2nd ed., §6.2, erfcc): fractional error &lt; 1.2e-7 everywhere.</summary>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1.0 / (1.0 + 0.5 * z);
        var ans = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2.0 - ans;
    }

    // ---------------------------------------------------------------- two-proportion test

    /// <summary>
    /// One-sided p-value that the proportion now (<paramref name="xNow"/>/<paramref name="nNow"/>) is higher than before
    /// (<paramref name="xBefore"/>/<paramref name="nBefore"/>): pooled two-proportion z-test, p = P(Z ≥ z) with
    /// z = (p2 − p1) / √(p̂(1−p̂)(1/n1 + 1/n2)), p̂ = (x1 + x2)/(n1 + n2). Null when a sample is empty or p̂ is 0 or 1
    /// (no variance: no test). Same z as the trend endpoints' <c>rising</c> flag (rising ⇔ p ≤ 0.05).
    /// </summary>
    public static double? OneSidedIncreaseP(long xBefore, long nBefore, long xNow, long nNow)
    {
        var z = PooledZ(xBefore, nBefore, xNow, nNow);
        return z is null ? null : NormalUpperTail(z.Value);
    }

    /// <summary>Pooled two-proportion z for "now is higher than before"; null when undefined.</summary>
    public static double? PooledZ(long xBefore, long nBefore, long xNow, long nNow)
    {
        if (nBefore <= 0 || nNow <= 0) return null;
        if (xBefore < 0 || xBefore > nBefore || xNow < 0 || xNow > nNow) throw new ArgumentOutOfRangeException(nameof(xNow));
        var pooled = (double)(xBefore + xNow) / (nBefore + nNow);
        var variance = pooled * (1 - pooled) * (1.0 / nBefore + 1.0 / nNow);
        if (variance <= 0) return null;
        return ((double)xNow / nNow - (double)xBefore / nBefore) / Math.Sqrt(variance);
    }

    // ---------------------------------------------------------------- Benjamini–Hochberg

    /// <summary>
    /// Benjamini–Hochberg (1995) adjusted p-values ("q-values"), in the input order — the same numbers as R's
    /// <c>p.adjust(p, method = "BH")</c>: with p sorted ascending, q(i) = min over j ≥ i of min(1, p(j)·m/j).
    /// Rejecting every hypothesis with q ≤ α is the BH step-up procedure at false-discovery rate α.
    /// </summary>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues)
    {
        var m = pValues.Count;
        var q = new double[m];
        if (m == 0) return q;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ThenBy(i => i).ToArray();
        var running = 1.0;
        for (var rank = m; rank >= 1; rank--)
        {
            var i = order[rank - 1];
            var p = pValues[i];
            if (double.IsNaN(p) || p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(pValues), "p-values must be in [0, 1].");
            running = Math.Min(running, Math.Min(1.0, p * m / rank));
            q[i] = running;
        }
        return q;
    }

    // ---------------------------------------------------------------- Bernoulli CUSUM

    /// <summary>The documented out-of-control win rate: a relative drop of a quarter (p1 = 0.75 · p0).</summary>
    public const double CusumRelativeDrop = 0.75;

    /// <summary>The in-control average run length the threshold is chosen for: one false alarm per ≥ 500 decided deals.</summary>
    public const double CusumTargetArl = 500;

    /// <summary>Win (x = 1) and loss (x = 0) increments of the CUSUM log-likelihood ratio for p0 → p1.</summary>
    public static (double Win, double Loss) CusumWeights(double p0, double p1)
    {
        if (!(p0 is > 0 and < 1) || !(p1 is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(p0), "p0 and p1 must be in (0, 1).");
        return (Math.Log(p1 / p0), Math.Log((1 - p1) / (1 - p0)));
    }

    /// <summary>One CUSUM step (Reynolds &amp; Stoumbos 1999): S = max(0, S + x·ln(p1/p0) + (1−x)·ln((1−p1)/(1−p0))).</summary>
    public static double CusumStep(double s, bool won, double p0, double p1)
    {
        var (win, loss) = CusumWeights(p0, p1);
        return Math.Max(0, s + (won ? win : loss));
    }

    /// <summary>Where a CUSUM run stands after a sequence of decided deals.</summary>
    /// <param name="Statistic">S after the last deal (or at the alarm).</param>
    /// <param name="FiredAt">Index of the deal at which S first reached h; null when it never did.</param>
    /// <param name="RunStart">Index of the first deal of the run that S is in (the deal after S was last 0); null when S is 0.</param>
    public sealed record CusumOutcome(double Statistic, int? FiredAt, int? RunStart);

    /// <summary>
    /// Runs the Bernoulli CUSUM over <paramref name="won"/> (decided deals in close-date order) and stops at the first
    /// alarm (S ≥ h). The run start is the first deal after S was last at zero: where the drop is estimated to begin.
    /// </summary>
    public static CusumOutcome Cusum(IReadOnlyList<bool> won, double p0, double p1, double h)
    {
        var (win, loss) = CusumWeights(p0, p1);
        var s = 0.0;
        int? runStart = null;
        for (var i = 0; i < won.Count; i++)
        {
            var next = Math.Max(0, s + (won[i] ? win : loss));
            if (next <= 0) runStart = null;
            else if (s <= 0) runStart = i;
            s = next;
            if (s >= h) return new CusumOutcome(s, i, runStart);
        }
        return new CusumOutcome(s, null, runStart);
    }

    private static readonly ConcurrentDictionary<(double P0, double Ratio, double Arl), double> Thresholds = new();

    /// <summary>
    /// The smallest threshold h whose in-control average run length (true win rate p0) is at least
    /// <paramref name="targetArl"/> deals, for p1 = <paramref name="ratio"/>·p0. p0 is rounded to the percent (memoised per
    /// process: at most 99 values, each ~0.1 s to compute). Computed with the Markov-chain approximation of Brook &amp; Evans (1972),
    /// see <see cref="CusumArl"/>; tests check it against simulation.
    /// </summary>
    public static double CusumThreshold(double p0, double ratio = CusumRelativeDrop, double targetArl = CusumTargetArl)
    {
        p0 = Math.Round(Math.Clamp(p0, 0.01, 0.99), 3);
        return Thresholds.GetOrAdd((p0, ratio, targetArl), key =>
        {
            var p1 = key.P0 * key.Ratio;
            double low = 0, high = 1;
            while (CusumArl(key.P0, p1, high, key.P0) < key.Arl) { low = high; high *= 2; if (high > 1e4) break; }
            for (var i = 0; i < 40 && high - low > 1e-3; i++)
            {
                var mid = (low + high) / 2;
                if (CusumArl(key.P0, p1, mid, key.P0) >= key.Arl) high = mid; else low = mid;
            }
            return Math.Ceiling(high * 1000) / 1000; // rounded up: never below the target
        });
    }

    /// <summary>
    /// Average run length (deals until S ≥ h, starting at S = 0) when the true win rate is <paramref name="p"/>, by the
    /// Markov-chain approximation (Brook &amp; Evans 1972): S lives on a grid of step δ = (loss increment)/25 below h; a loss
    /// moves exactly 25 steps up, a win moves down by the win increment with its mass split between the two neighbouring
    /// grid points so the mean step is exact; ARL = Σ_t P(no alarm after t deals). Once the surviving mass decays
    /// geometrically (ratio λ per deal, stable to 1e-9) the rest of the sum is added in closed form: alive/(1−λ).
    /// </summary>
    public static double CusumArl(double p0, double p1, double h, double p)
    {
        var (win, loss) = CusumWeights(p0, p1);
        if (loss <= 0) throw new ArgumentOutOfRangeException(nameof(p1), "The CUSUM watches for a falling win rate: p1 < p0.");
        const int up = 25;
        var delta = loss / up;
        var states = Math.Max(1, (int)Math.Ceiling(h / delta - 1e-9)); // grid points 0..states-1 lie below h
        var downSteps = -win / delta;
        var downLow = (int)Math.Floor(downSteps);
        var fraction = downSteps - downLow; // mass moved downLow+1 steps
        var mass = new double[states];
        var next = new double[states];
        mass[0] = 1;
        double arl = 0, alive = 1, ratio = 0;
        for (var t = 0; t < 10_000_000 && alive > 1e-12; t++)
        {
            arl += alive;
            Array.Clear(next);
            for (var i = 0; i < states; i++)
            {
                var m = mass[i];
                if (m == 0) continue;
                var j = i + up;
                if (j < states) next[j] += m * (1 - p);
                var d1 = Math.Max(0, i - downLow);
                var d2 = Math.Max(0, i - downLow - 1);
                next[d1] += m * p * (1 - fraction);
                next[d2] += m * p * fraction;
            }
            (mass, next) = (next, mass);
            var before = alive;
            alive = 0;
            for (var i = 0; i < states; i++) alive += mass[i];
            var r = alive / before;
            if (t > 2 * states && Math.Abs(r - ratio) < 1e-9 && r < 1) return arl + alive / (1 - r);
            ratio = r;
        }
        return arl;
    }

    // ---------------------------------------------------------------- empirical Bayes (beta-binomial)

    /// <summary>A beta prior Beta(α, β) fitted across groups.</summary>
    public sealed record BetaPrior(double Alpha, double Beta)
    {
        public double Mean => Alpha / (Alpha + Beta);
        public double Strength => Alpha + Beta;
    }

    /// <summary>A shrunk rate: posterior mean of Beta(α + x, β + n − x) and its equal-tailed 95% credible interval.</summary>
    public sealed record ShrunkRate(double Estimate, double Low, double High);

    /// <summary>
    /// Method-of-moments beta prior across groups (x_i successes of n_i): μ = Σx/Σn (pooled rate); s² = the unweighted
    /// sample variance of the raw rates x_i/n_i; under the beta-binomial model E[s²] ≈ μ(1−μ)·(mean(1/n) + ρ(1 − mean(1/n)))
    /// with ρ = 1/(α+β+1), so ρ = (s²/(μ(1−μ)) − mean(1/n)) / (1 − mean(1/n)) and α + β = 1/ρ − 1. When the raw rates vary
    /// no more than binomial noise alone explains (ρ ≤ 0), the groups are pooled: α + β = Σn (capped at 10⁶).
    /// Null with fewer than two groups with deals, or a pooled rate of 0 or 1.
    /// </summary>
    public static BetaPrior? FitBetaPrior(IReadOnlyList<(long Successes, long Trials)> groups)
    {
        var used = groups.Where(g => g.Trials > 0).ToList();
        if (used.Count < 2) return null;
        double totalX = used.Sum(g => (double)g.Successes), totalN = used.Sum(g => (double)g.Trials);
        var mu = totalX / totalN;
        if (mu <= 0 || mu >= 1) return null;
        var rates = used.Select(g => (double)g.Successes / g.Trials).ToList();
        var mean = rates.Average();
        var s2 = rates.Sum(r => (r - mean) * (r - mean)) / (used.Count - 1);
        var inverseN = used.Average(g => 1.0 / g.Trials);
        var rho = inverseN >= 1 ? 0 : (s2 / (mu * (1 - mu)) - inverseN) / (1 - inverseN);
        var strength = rho <= 0 ? Math.Min(totalN, 1e6) : Math.Min(1 / Math.Min(rho, 1 - 1e-9) - 1, 1e6);
        strength = Math.Max(strength, 1e-3);
        return new BetaPrior(mu * strength, (1 - mu) * strength);
    }

    /// <summary>
    /// Posterior mean and equal-tailed credible interval (default 95%) of a rate under <paramref name="prior"/>; with
    /// <paramref name="digits"/>, the interval's ends rounded to that many decimals (see <see cref="BetaQuantile"/>).
    /// </summary>
    public static ShrunkRate Shrink(long successes, long trials, BetaPrior prior, double level = 0.95, int? digits = null)
    {
        var a = prior.Alpha + successes;
        var b = prior.Beta + (trials - successes);
        var tail = (1 - level) / 2;
        return new ShrunkRate(a / (a + b), BetaQuantile(tail, a, b, digits), BetaQuantile(1 - tail, a, b, digits));
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9: ~15 significant digits).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        var sum = c[0];
        for (var i = 1; i < 9; i++) sum += c[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>Regularized incomplete beta I_x(a, b) (continued fraction, modified Lentz; Numerical Recipes §6.4).</summary>
    public static double RegularizedBeta(double x, double a, double b) => RegularizedBeta(x, a, b, LogGamma(a + b) - LogGamma(a) - LogGamma(b));

    /// <summary>I_x(a, b) with ln(1 / B(a, b)) = ln Γ(a + b) − ln Γ(a) − ln Γ(b) given (the same for every x).</summary>
    private static double RegularizedBeta(double x, double a, double b, double logInverseBeta)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        var front = Math.Exp(logInverseBeta + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaFraction(x, a, b) / a
            : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    private static double BetaFraction(double x, double a, double b)
    {
        const double tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 300; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var del = d * c;
            h *= del;
            if (Math.Abs(del - 1) < 1e-14) break;
        }
        return h;
    }

    /// <summary>
    /// The <paramref name="probability"/> quantile of Beta(a, b), by bisection on <see cref="RegularizedBeta"/> (60 halvings
    /// of [0, 1]). With <paramref name="digits"/>: that quantile rounded to so many decimals (midpoints away from zero), the
    /// bisection stopping as soon as both ends of its bracket round alike (the full bisection's answer lies inside the
    /// bracket, so it would round the same).
    /// <para>
    /// The first <see cref="StartLevel"/> halvings are skipped when a Newton estimate's bracket of that level checks out
    /// (I(low) &lt; p ≤ I(high)): I is increasing, so every earlier halving would have led into that bracket, and the
    /// answer is the same as from [0, 1], in a quarter of the time.
    /// </para>
    /// </summary>
    public static double BetaQuantile(double probability, double a, double b, int? digits = null)
    {
        if (probability <= 0) return 0;
        if (probability >= 1) return 1;
        var logInverseBeta = LogGamma(a + b) - LogGamma(a) - LogGamma(b);
        if (digits is { } places0 && RoundedQuantile(probability, a, b, logInverseBeta, places0) is { } rounded) return rounded;
        double low = 0, high = 1;
        var start = 0;
        if (StartBracket(probability, a, b, logInverseBeta) is { } bracket) (low, high, start) = (bracket.Low, bracket.High, StartLevel);
        for (var i = start; i < 60; i++)
        {
            if (digits is { } d && Math.Round(low, d, MidpointRounding.AwayFromZero) == Math.Round(high, d, MidpointRounding.AwayFromZero))
                return Math.Round(low, d, MidpointRounding.AwayFromZero);
            var mid = (low + high) / 2;
            if (RegularizedBeta(mid, a, b, logInverseBeta) < probability) low = mid; else high = mid;
        }
        var quantile = (low + high) / 2;
        return digits is { } places ? Math.Round(quantile, places, MidpointRounding.AwayFromZero) : quantile;
    }

    /// <summary>
    /// The quantile rounded to <paramref name="digits"/> decimals straight from Newton estimates, or null to bisect: the
    /// rounding of an estimate, r, is the answer when the quantile lies in r's rounding interval, that is when
    /// I(r − h) &lt; p ≤ I(r + h) with h half a unit of the last decimal (I is increasing). Bisection returns the same r then.
    /// One Newton step from the normal approximation and that check: three evaluations of I instead of five or more; a
    /// second step and check when the first estimate's rounding does not hold (six, then bisection when that fails too).
    /// </summary>
    private static double? RoundedQuantile(double probability, double a, double b, double logInverseBeta, int digits)
    {
        var n = a + b;
        var x = a / n + NormalQuantileEstimate(probability) * Math.Sqrt(a * b / (n * n * (n + 1)));
        var h = 0.5 * Math.Pow(10, -digits);
        for (var step = 0; step < 2; step++)
        {
            x = Math.Clamp(x, 1e-12, 1 - 1e-12);
            var density = Math.Exp(logInverseBeta + (a - 1) * Math.Log(x) + (b - 1) * Math.Log(1 - x));
            if (!(density > 0) || double.IsInfinity(density)) return null;
            x -= (RegularizedBeta(x, a, b, logInverseBeta) - probability) / density;
            if (double.IsNaN(x)) return null;
            var r = Math.Round(Math.Clamp(x, 0, 1), digits, MidpointRounding.AwayFromZero);
            // Inside the interval by a margin: a quantile on a rounding tie (r ± h) is left to bisection.
            if (RegularizedBeta(r - h + TieMargin, a, b, logInverseBeta) < probability && RegularizedBeta(r + h - TieMargin, a, b, logInverseBeta) >= probability)
                return r;
        }
        return null;
    }

    /// <summary>How far inside its rounding interval a quantile must be for <see cref="RoundedQuantile"/> to answer.</summary>
    private const double TieMargin = 1e-12;

    /// <summary>Halvings of [0, 1] that <see cref="StartBracket"/> skips (a bracket 2⁻²⁰ ≈ 1e-6 wide).</summary>
    private const int StartLevel = 20;

    /// <summary>
    /// The bracket [j / 2^StartLevel, (j + 1) / 2^StartLevel] that bisection reaches after StartLevel halvings, from a
    /// normal approximation refined by Newton steps; null when the estimate's bracket does not hold the quantile.
    /// </summary>
    private static (double Low, double High)? StartBracket(double probability, double a, double b, double logInverseBeta)
    {
        var n = a + b;
        var x = a / n + NormalQuantileEstimate(probability) * Math.Sqrt(a * b / (n * n * (n + 1)));
        for (var i = 0; i < 3; i++)
        {
            x = Math.Clamp(x, 1e-12, 1 - 1e-12);
            var density = Math.Exp(logInverseBeta + (a - 1) * Math.Log(x) + (b - 1) * Math.Log(1 - x));
            if (!(density > 0) || double.IsInfinity(density)) break;
            x -= (RegularizedBeta(x, a, b, logInverseBeta) - probability) / density;
        }
        if (double.IsNaN(x)) return null;
        const double scale = 1 << StartLevel;
        var j = Math.Clamp(Math.Floor(x * scale), 0, scale - 1);
        double low = j / scale, high = (j + 1) / scale;
        return RegularizedBeta(low, a, b, logInverseBeta) < probability && RegularizedBeta(high, a, b, logInverseBeta) >= probability
            ? (low, high) : null;
    }

    /// <summary>The standard normal quantile to about 4.5e-4 (Abramowitz and Stegun 26.2.23): a starting point only.</summary>
    private static double NormalQuantileEstimate(double p)
    {
        var q = Math.Min(p, 1 - p);
        var t = Math.Sqrt(-2 * Math.Log(q));
        var z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
        return p < 0.5 ? -z : z;
    }
}
