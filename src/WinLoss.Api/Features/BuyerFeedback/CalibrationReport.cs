using WinLoss.Api.Features.Trends;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>A deal with both a rep report and buyer feedback: the reasons each side gave (primary first).</summary>
public sealed record PairedDeal(string DealId, long RepId, IReadOnlyList<string> RepReasons, IReadOnlyList<string> BuyerReasons)
{
    public string RepPrimary => RepReasons[0];
    public string BuyerPrimary => BuyerReasons[0];
}

/// <summary>A rep, for the agreement table.</summary>
public sealed record RepInfo(long Id, string Name, string? Team);

public sealed record CalibrationDto(
    string Outcome,
    int MinSample,
    long Deals,
    long DealsWithReason,
    long PairedDeals,
    string Statement,
    IReadOnlyList<ReasonComparisonDto> Reasons,
    PrimaryAgreementDto PrimaryAgreement,
    IReadOnlyList<AgreementDto> Reps,
    IReadOnlyList<AgreementDto> Teams,
    CalibratedDto Calibrated);

/// <summary>One reason on paired deals: how often the rep and the buyer named it (any rank), and McNemar's paired test.</summary>
public sealed record ReasonComparisonDto(
    string Category, long N, long RepDeals, double RepShare, double[] RepCi95, long BuyerDeals, double BuyerShare, double[] BuyerCi95,
    long RepOnly, long BuyerOnly, string Test, double? ChiSquare, double PValue, bool Significant, bool LowSample);

/// <summary>Primary reason, rep (rows) vs buyer (columns), on paired deals; Cohen's kappa (null when not measurable; no
/// interval when one side named a single reason, where the large-sample variance degenerates to 0).</summary>
public sealed record PrimaryAgreementDto(
    IReadOnlyList<string> Categories, long[][] Matrix, long N, long Agreed, double? AgreementRate, double[]? AgreementCi95,
    double? ExpectedAgreement, double? Kappa, double? KappaStandardError, double[]? KappaCi95, bool LowSample);

/// <summary>Per rep or team: paired deals, how often the rep's primary reason was the buyer's, and how often the rep named the buyer's primary reason at all.</summary>
public sealed record AgreementDto(
    long? RepId, string? RepName, string? Team, long N, long PrimaryAgreed, double PrimaryAgreementRate, double[] Ci95,
    long BuyerPrimaryNamed, double BuyerPrimaryNamedRate, bool LowSample);

public sealed record CalibratedDto(long PairedDeals, long DealsWithReason, int BootstrapSamples, string Statement, IReadOnlyList<CalibratedRowDto> Rows);

/// <summary>Primary-reason shares over all deals of the outcome: as reps reported them, and corrected towards what buyers say.</summary>
public sealed record CalibratedRowDto(string Category, long RepDeals, double RepShare, double[] RepCi95, double? CalibratedShare, double[]? Ci95, bool Calibrated);

/// <summary>Builds the calibration report from the paired deals and the rep-reported primary reasons of all deals (pure).</summary>
public static class CalibrationReport
{
    public const int BootstrapSamples = 1000;

    public static CalibrationDto Build(
        string outcome, int minSample, long deals, IReadOnlyDictionary<string, long> repPrimaryCounts,
        IReadOnlyList<PairedDeal> paired, IReadOnlyDictionary<long, RepInfo> reps)
    {
        var dealsWithReason = repPrimaryCounts.Values.Sum();
        var n = paired.Count;

        // Categories: every one named by either side, most frequent first.
        var weight = new Dictionary<string, long>(StringComparer.Ordinal);
        void Add(string c, long w) => weight[c] = weight.GetValueOrDefault(c) + w;
        foreach (var (c, count) in repPrimaryCounts) Add(c, count);
        foreach (var p in paired) { foreach (var c in p.RepReasons) Add(c, 1); foreach (var c in p.BuyerReasons) Add(c, 1); }
        var categories = weight.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).ToList();
        var index = categories.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);

        var reasons = new List<ReasonComparisonDto>();
        foreach (var c in categories)
        {
            long rep = 0, buyer = 0, repOnly = 0, buyerOnly = 0;
            foreach (var p in paired)
            {
                var r = p.RepReasons.Contains(c);
                var b = p.BuyerReasons.Contains(c);
                if (r) rep++;
                if (b) buyer++;
                if (r && !b) repOnly++;
                if (b && !r) buyerOnly++;
            }
            if (rep == 0 && buyer == 0) continue;
            var test = CalibrationStatistics.McNemar(repOnly, buyerOnly);
            reasons.Add(new ReasonComparisonDto(c, n, rep, Share(rep, n), Ci(rep, n), buyer, Share(buyer, n), Ci(buyer, n),
                repOnly, buyerOnly, test.Method, test.Statistic, test.PValue, test.PValue < 0.05, n < minSample));
        }

        var k = categories.Count;
        var matrix = new long[k, k];
        foreach (var p in paired) matrix[index[p.RepPrimary], index[p.BuyerPrimary]]++;
        var agreed = paired.Count(p => p.RepPrimary == p.BuyerPrimary);
        var kappa = k == 0 ? null : CalibrationStatistics.Kappa(matrix);
        var primary = new PrimaryAgreementDto(categories, Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => matrix[i, j]).ToArray()).ToArray(),
            n, agreed, n == 0 ? null : Share(agreed, n), n == 0 ? null : Ci(agreed, n), kappa?.ExpectedAgreement, kappa?.Kappa, kappa?.StandardError,
            kappa is null || (kappa.StandardError == 0 && kappa.Kappa < 1) ? null : [kappa.Low, kappa.High], n < minSample);

        var byRep = paired.GroupBy(p => p.RepId).Select(g =>
        {
            var info = reps.GetValueOrDefault(g.Key);
            return Agreement(g.Key, info?.Name, info?.Team, g.ToList(), minSample);
        }).OrderByDescending(a => a.N).ThenBy(a => a.RepId).ToList();
        var byTeam = paired.GroupBy(p => reps.GetValueOrDefault(p.RepId)?.Team).Select(g => Agreement(null, null, g.Key, g.ToList(), minSample))
            .OrderByDescending(a => a.N).ThenBy(a => a.Team, StringComparer.Ordinal).ToList();

        var calibrated = Calibrated(outcome, minSample, categories, index, matrix, repPrimaryCounts, dealsWithReason, n);
        return new CalibrationDto(outcome, minSample, deals, dealsWithReason, n, calibrated.Statement, reasons, primary, byRep, byTeam, calibrated);
    }

    private static CalibratedDto Calibrated(string outcome, int minSample, List<string> categories, Dictionary<string, int> index, long[,] matrix,
        IReadOnlyDictionary<string, long> repPrimaryCounts, long dealsWithReason, int n)
    {
        var k = categories.Count;
        var counts = new long[k];
        foreach (var (c, count) in repPrimaryCounts) counts[index[c]] = count;
        var what = outcome.Replace('_', '-');
        string statement;
        List<CalibratedRowDto> rows;
        if (n == 0 || dealsWithReason == 0)
        {
            statement = dealsWithReason == 0
                ? $"No {what} deals with a rep-reported reason match these filters: there is nothing to calibrate."
                : $"No {what} deal in these filters has both a rep report and buyer feedback yet, so the rep-reported shares cannot be calibrated. Record buyer interviews or send survey links to start.";
            rows = categories.Where(c => counts[index[c]] > 0).Select(c =>
                new CalibratedRowDto(c, counts[index[c]], Share(counts[index[c]], dealsWithReason), Ci(counts[index[c]], dealsWithReason), null, null, false)).ToList();
            return new CalibratedDto(n, dealsWithReason, 0, statement, rows);
        }

        var shares = CalibrationStatistics.Calibrate(matrix, counts, BootstrapSamples);
        rows = shares.Where(s => counts[s.Category] > 0 || s.Share > 0)
            .Select(s => new CalibratedRowDto(categories[s.Category], counts[s.Category], s.RepShare, Ci(counts[s.Category], dealsWithReason),
                s.Share, [s.Low, s.High], s.Calibrated))
            .OrderByDescending(r => r.CalibratedShare).ThenBy(r => r.Category, StringComparer.Ordinal).ToList();
        var uncalibrated = rows.Where(r => !r.Calibrated).Select(r => r.Category).ToList();
        statement = $"Calibrated shares rest on {n} paired {what} deal{(n == 1 ? "" : "s")} (both a rep report and buyer feedback) " +
            $"out of {dealsWithReason} {what} deal{(dealsWithReason == 1 ? "" : "s")} with a rep-reported reason. " +
            "They correct what reps reported by how buyers answered on the paired deals, assuming those deals are like the others; " +
            $"the interval is a {BootstrapSamples}-sample bootstrap (95%).";
        if (n < minSample) statement += $" Fewer than {minSample} paired deals: treat the correction as indicative.";
        if (uncalibrated.Count > 0) statement += $" No paired deal had {string.Join(", ", uncalibrated)} as the rep's primary reason, so the rep-reported share of {(uncalibrated.Count == 1 ? "that reason" : "those reasons")} is carried over unchecked.";
        return new CalibratedDto(n, dealsWithReason, BootstrapSamples, statement, rows);
    }

    private static AgreementDto Agreement(long? repId, string? name, string? team, List<PairedDeal> deals, int minSample)
    {
        long n = deals.Count;
        long agreed = deals.Count(p => p.RepPrimary == p.BuyerPrimary);
        long named = deals.Count(p => p.RepReasons.Contains(p.BuyerPrimary));
        return new AgreementDto(repId, name, team, n, agreed, Share(agreed, n), Ci(agreed, n), named, Share(named, n), n < minSample);
    }

    private static double Share(long x, long n) => n == 0 ? 0 : (double)x / n;

    private static double[] Ci(long x, long n) => Statistics.Wilson(x, n) is { } ci ? [ci.Low, ci.High] : [0, 1];
}
