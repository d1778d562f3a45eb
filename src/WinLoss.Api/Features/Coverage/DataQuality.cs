using System.Globalization;

namespace WinLoss.Api.Features.Coverage;

/// <summary>One rep's report as data quality sees it: counts of the things a careful report has.</summary>
public sealed record ReportFact(
    long RepId, double DaysToFile, int Competitors, int UnmatchedCompetitors, int Reasons, int ReasonsWithoutDetail,
    string? PrimaryReason, int Objections, int ObjectionsWithoutCompetitor);

/// <summary>
/// A data-quality share for a rep (or team): <c>count</c> of <c>n</c>, its Wilson interval, and the same share for the
/// rest of the team; <c>flagged</c> when the two differ beyond chance (two-sided z-test, |z| ≥ 1.96), <c>worse</c> when
/// the rep's share is the higher (every metric counts a shortcoming).
/// </summary>
public sealed record QualityMetric(long Count, long N, double? Share, double[]? Ci95, double? TeamShare, long TeamN, double? Z, bool Flagged, bool Worse);

public sealed record QualityRow
{
    public required string Key { get; init; }
    public required string Label { get; init; }
    public long? RepId { get; init; }
    public string? Team { get; init; }
    public long Reports { get; init; }
    public double? MedianDaysToFile { get; init; }
    /// <summary>How many metrics are flagged worse than the comparison group (rows are sorted by this, worst first).</summary>
    public int Flags { get; init; }
    public required IReadOnlyDictionary<string, QualityMetric> Metrics { get; init; }
}

/// <summary>Pure: report facts → data-quality rows per rep and team, worst first.</summary>
public static class DataQuality
{
    /// <summary>A report filed more than this many days after its deal closed is late.</summary>
    public const int LateAfterDays = 7;

    /// <summary>Metric name → (count, n) of a set of reports.</summary>
    private static readonly (string Name, Func<IReadOnlyCollection<ReportFact>, (long Count, long N)> Of)[] Measures =
    [
        ("noCompetitor", r => (r.Count(x => x.Competitors == 0), r.Count)),
        ("otherPrimaryReason", r => (r.Count(x => x.PrimaryReason == "other"), r.Count(x => x.Reasons > 0))),
        ("reasonsWithoutDetail", r => (r.Sum(x => (long)x.ReasonsWithoutDetail), r.Sum(x => (long)x.Reasons))),
        ("objectionsWithoutCompetitor", r => (r.Sum(x => (long)x.ObjectionsWithoutCompetitor), r.Sum(x => (long)x.Objections))),
        ("lateFiling", r => (r.Count(x => x.DaysToFile > LateAfterDays), r.Count)),
        ("unmatchedCompetitors", r => (r.Sum(x => (long)x.UnmatchedCompetitors), r.Sum(x => (long)x.Competitors))),
    ];

    public static IReadOnlyList<string> MetricNames { get; } = Measures.Select(m => m.Name).ToList();

    public static QualityRow Row(string key, string label, long? repId, string? team, IReadOnlyCollection<ReportFact> mine, IReadOnlyCollection<ReportFact> rest)
    {
        var metrics = new Dictionary<string, QualityMetric>(StringComparer.Ordinal);
        foreach (var (name, of) in Measures)
        {
            var (x, n) = of(mine);
            var (xr, nr) = of(rest);
            var ci = Trends.Statistics.Wilson(x, n);
            var cmp = CoverageStatistics.Compare(x, n, xr, nr);
            metrics[name] = new QualityMetric(x, n, n == 0 ? null : CoverageStatistics.Round((double)x / n),
                ci is { } c ? [CoverageStatistics.Round(c.Low), CoverageStatistics.Round(c.High)] : null,
                cmp.TeamShare, cmp.TeamN, cmp.Z, cmp.Flagged, cmp.Flagged && cmp.Z > 0);
        }
        return new QualityRow
        {
            Key = key, Label = label, RepId = repId, Team = team, Reports = mine.Count,
            MedianDaysToFile = CoverageStatistics.Median(mine.Select(r => r.DaysToFile)),
            Flags = metrics.Values.Count(m => m.Worse), Metrics = metrics,
        };
    }

    /// <summary>
    /// Each rep against the rest of their team (reps without a team against all other reps without one), each team
    /// against all other teams. Worst first: most metrics flagged worse, then the largest z.
    /// </summary>
    public static (IReadOnlyList<QualityRow> Reps, IReadOnlyList<QualityRow> Teams, QualityRow Overall) Build(
        IReadOnlyCollection<ReportFact> facts, IReadOnlyDictionary<long, RepInfo> reps)
    {
        string TeamOf(long repId) => reps.GetValueOrDefault(repId)?.Team ?? CoverageAggregation.None;
        var byTeam = facts.GroupBy(f => TeamOf(f.RepId), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var repRows = facts.GroupBy(f => f.RepId).Select(g =>
        {
            var team = TeamOf(g.Key);
            var rest = byTeam[team].Where(f => f.RepId != g.Key).ToList();
            var info = reps.GetValueOrDefault(g.Key);
            return Row(g.Key.ToString(CultureInfo.InvariantCulture), info?.Name ?? $"rep {g.Key}", g.Key, info?.Team, g.ToList(), rest);
        }).ToList();
        var teamRows = byTeam.Select(t => Row(t.Key, t.Key == CoverageAggregation.None ? "No team" : t.Key, null,
            t.Key == CoverageAggregation.None ? null : t.Key, t.Value, facts.Where(f => TeamOf(f.RepId) != t.Key).ToList())).ToList();
        return (WorstFirst(repRows), WorstFirst(teamRows), Row("all", "All reps", null, null, facts, []));
    }

    private static List<QualityRow> WorstFirst(IEnumerable<QualityRow> rows) => rows
        .OrderByDescending(r => r.Flags)
        .ThenByDescending(r => r.Metrics.Values.Where(m => m.Worse).Select(m => m.Z ?? 0).DefaultIfEmpty(0).Max())
        .ThenBy(r => r.Label, StringComparer.Ordinal).ToList();
}
