using WinLoss.Api.Features.BuyerFeedback;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>
/// Reps over-report price by a known factor; buyers tell the truth. The calibrated price share (rep shares corrected by
/// the confusion matrix of the paired deals) must cover the true buyer share in at least 90% of runs, while the raw rep
/// share misses it.
/// </summary>
public sealed class CalibrationSimulationTests(ITestOutputHelper output)
{
    // Buyers' true primary reasons: price, product_gap, integration, timing, relationship.
    private static readonly double[] TrueShares = [0.15, 0.35, 0.20, 0.15, 0.15];
    private const double Factor = 3.0; // reps name price 3× as often as buyers do (0.45 vs 0.15)

    public static (double Coverage, double RawCoverage, double MeanEstimate) Run(int runs, int lostDeals, int pairedDeals, int seed)
    {
        // A deal whose buyer names another reason is blamed on price by the rep with probability f:
        // 0.15 + 0.85·f = 3·0.15 → f = 0.30/0.85.
        var f = (Factor * TrueShares[0] - TrueShares[0]) / (1 - TrueShares[0]);
        var rng = new Random(seed);
        int covered = 0, rawCovered = 0;
        double sum = 0;
        var k = TrueShares.Length;
        for (var run = 0; run < runs; run++)
        {
            var repCounts = new long[k];
            var paired = new long[k, k];
            for (var d = 0; d < lostDeals; d++)
            {
                var buyer = Draw(rng);
                var rep = buyer != 0 && rng.NextDouble() < f ? 0 : buyer;
                repCounts[rep]++;
                if (d < pairedDeals) paired[rep, buyer]++; // the deals are independent: the first n stand for a random sample
            }
            var price = CalibrationStatistics.Calibrate(paired, repCounts, samples: 400, seed: run)[0];
            if (price.Low <= TrueShares[0] && TrueShares[0] <= price.High) covered++;
            var raw = WinLoss.Api.Features.Trends.Statistics.Wilson(repCounts[0], lostDeals)!.Value;
            if (raw.Low <= TrueShares[0] && TrueShares[0] <= raw.High) rawCovered++;
            sum += price.Share;
        }
        return ((double)covered / runs, (double)rawCovered / runs, sum / runs);
    }

    private static int Draw(Random rng)
    {
        var u = rng.NextDouble();
        for (var i = 0; i < TrueShares.Length - 1; i++)
        {
            if (u < TrueShares[i]) return i;
            u -= TrueShares[i];
        }
        return TrueShares.Length - 1;
    }

    [Fact]
    public void Calibrated_price_share_covers_the_true_buyer_share_in_at_least_90_percent_of_runs()
    {
        var (coverage, rawCoverage, mean) = Run(runs: 200, lostDeals: 1000, pairedDeals: 150, seed: 2026);
        output.WriteLine($"coverage {coverage:P1}, raw rep share coverage {rawCoverage:P1}, mean calibrated price share {mean:F4} (true 0.15, reps 0.45)");
        Assert.True(coverage >= 0.90, $"calibrated interval covered the true share in {coverage:P1} of runs");
        Assert.True(rawCoverage < 0.05, $"the raw rep share covered it in {rawCoverage:P1} of runs");
        Assert.InRange(mean, 0.13, 0.17);
    }
}
