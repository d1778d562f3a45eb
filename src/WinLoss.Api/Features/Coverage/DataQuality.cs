using System.Globalization;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// Data-quality counts of a set of reports: how many, their median days to file, and per metric (in
/// <see cref="DataQuality.MetricNames"/> order) a count and its n, interleaved: [x0, n0, x1, n1, ...].
/// </summary>
public sealed record QualityCounts(long Reports, double? MedianDays, long[] Values)
{
    public (long Count, long N) Metric(int i) => (Values[2 * i], Values[2 * i + 1]);

    /// <summary>This set without <paramref name="part"/> (a team without one rep): the counts subtract, the median does not.</summary>
    public QualityCounts Minus(QualityCounts part) => new(Reports - part.Reports, null, Values.Zip(part.Values, (a, b) => a - b).ToArray());

    public static QualityCounts Empty { get; } = new(0, null, new long[DataQuality.MetricNames.Count * 2]);
}

/// <summary>
/// A data-quality share for a rep (or team): <c>count</c> of <c>n</c>, its Wilson interval, and the same share for the
/// comparison group; <c>flagged</c> when the two differ beyond chance (two-sided z-test, |z| ≥ 1.96), <c>worse</c> when
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

/// <summary>Pure: data-quality counts (from <see cref="CoverageFacts.QualityAsync"/>) → rows per rep and team, worst first.</summary>
public static class DataQuality
{
    /// <summary>A report filed more than this many days after its deal closed is late.</summary>
    public const int LateAfterDays = 7;

    public static IReadOnlyList<string> MetricNames { get; } =
        ["noCompetitor", "otherPrimaryReason", "reasonsWithoutDetail", "objectionsWithoutCompetitor", "lateFiling", "unmatchedCompetitors"];

    public static QualityRow Row(string key, string label, long? repId, string? team, QualityCounts mine, QualityCounts rest)
    {
        var metrics = new Dictionary<string, QualityMetric>(StringComparer.Ordinal);
        for (var i = 0; i < MetricNames.Count; i++)
        {
            var (x, n) = mine.Metric(i);
            var (xr, nr) = rest.Metric(i);
            var ci = Trends.Statistics.Wilson(x, n);
            var cmp = CoverageStatistics.Compare(x, n, xr, nr);
            metrics[MetricNames[i]] = new QualityMetric(x, n, n == 0 ? null : CoverageStatistics.Round((double)x / n),
                ci is { } c ? [CoverageStatistics.Round(c.Low), CoverageStatistics.Round(c.High)] : null,
                cmp.TeamShare, cmp.TeamN, cmp.Z, cmp.Flagged, cmp.Flagged && cmp.Z > 0);
        }
        return new QualityRow
        {
            Key = key, Label = label, RepId = repId, Team = team, Reports = mine.Reports,
            MedianDaysToFile = mine.MedianDays is { } d ? CoverageStatistics.Round(d) : null,
            Flags = metrics.Values.Count(m => m.Worse), Metrics = metrics,
        };
    }

    /// <summary>
    /// Each rep against the rest of their team (reps without a team against the other reps without one), each team
    /// against all other teams. Worst first: most metrics flagged worse, then the largest z.
    /// </summary>
    public static (IReadOnlyList<QualityRow> Reps, IReadOnlyList<QualityRow> Teams, QualityRow Overall) Build(
        IReadOnlyCollection<QualityCell> cells, IReadOnlyDictionary<long, RepInfo> reps)
    {
        var overall = cells.FirstOrDefault(c => c.Dim == "overall")?.Counts ?? QualityCounts.Empty;
        var teams = cells.Where(c => c.Dim == "team").ToDictionary(c => c.Key, c => c.Counts, StringComparer.Ordinal);
        var repRows = cells.Where(c => c.Dim == "rep").Select(c =>
        {
            var id = long.Parse(c.Key, CultureInfo.InvariantCulture);
            var rest = teams.GetValueOrDefault(c.Team, c.Counts).Minus(c.Counts);
            return Row(c.Key, reps.GetValueOrDefault(id)?.Name ?? $"rep {id}", id, c.Team.Length == 0 ? null : c.Team, c.Counts, rest);
        }).ToList();
        var teamRows = teams.Select(t => Row(t.Key.Length == 0 ? CoverageAggregation.None : t.Key, t.Key.Length == 0 ? "No team" : t.Key,
            null, t.Key.Length == 0 ? null : t.Key, t.Value, overall.Minus(t.Value))).ToList();
        return (WorstFirst(repRows), WorstFirst(teamRows), Row("all", "All reps", null, null, overall, QualityCounts.Empty));
    }

    private static List<QualityRow> WorstFirst(IEnumerable<QualityRow> rows) => rows
        .OrderByDescending(r => r.Flags)
        .ThenByDescending(r => r.Metrics.Values.Where(m => m.Worse).Select(m => m.Z ?? 0).DefaultIfEmpty(0).Max())
        .ThenBy(r => r.Label, StringComparer.Ordinal).ToList();
}
