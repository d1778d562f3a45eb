using System.Globalization;

namespace WinLoss.Api.Features.Coverage;

/// <summary>Known closed deals of a slice, the share with a rep's report, and how long reports took.</summary>
public sealed record OutcomeCoverage(CoverageRate Coverage, double? MedianDaysToReport);

/// <summary>
/// Coverage of one group (overall, a period, a rep, a team, a segment): all outcomes together, each outcome on its own,
/// and the selection-bias test of win coverage against loss coverage.
/// </summary>
public sealed record CoverageGroup
{
    public required string Key { get; init; }
    public string? Label { get; init; }
    public long? RepId { get; init; }
    public string? Team { get; init; }
    public required CoverageRate Coverage { get; init; }
    public double? MedianDaysToReport { get; init; }
    public required IReadOnlyDictionary<string, OutcomeCoverage> Outcomes { get; init; }
    public required SelectionBias Bias { get; init; }
}

public sealed record RepInfo(long Id, string Name, string? Team);

/// <summary>Pure: the engine's counts per (dim, key, outcome) → coverage groups (the query is in <see cref="CoverageFacts"/>).</summary>
public static class CoverageAggregation
{
    public const string None = "none";
    public const string AllOutcomes = "*";

    /// <summary>One group from its cells: the all-outcomes cell ("*") and one per outcome (missing outcomes count 0).</summary>
    public static CoverageGroup Group(string key, IReadOnlyCollection<CoverageCell> cells, int minSample, string? label = null, long? repId = null, string? team = null)
    {
        CoverageCell? Cell(string outcome) => cells.FirstOrDefault(c => c.Outcome == outcome);
        var outcomes = new SortedDictionary<string, OutcomeCoverage>(StringComparer.Ordinal);
        foreach (var outcome in Reports.ReportRules.Outcomes)
        {
            var c = Cell(outcome);
            outcomes[outcome] = new OutcomeCoverage(CoverageStatistics.Rate(c?.Reported ?? 0, c?.Known ?? 0, minSample), Days(c?.MedianDays));
        }
        var all = Cell(AllOutcomes);
        var won = outcomes["won"].Coverage;
        var lost = outcomes["lost"].Coverage;
        return new CoverageGroup
        {
            Key = key, Label = label, RepId = repId, Team = team,
            Coverage = CoverageStatistics.Rate(all?.Reported ?? 0, all?.Known ?? 0, minSample),
            MedianDaysToReport = Days(all?.MedianDays),
            Outcomes = outcomes,
            Bias = CoverageStatistics.Bias(won.Reported, won.Known, lost.Reported, lost.Known),
        };
    }

    private static double? Days(double? v) => v is { } d ? CoverageStatistics.Round(d) : null;

    /// <summary>The answer's sections from all cells of one query.</summary>
    public static (CoverageGroup Overall, IReadOnlyList<CoverageGroup> Periods, IReadOnlyList<CoverageGroup> Reps,
        IReadOnlyList<CoverageGroup> Teams, IReadOnlyList<CoverageGroup> Segments) Build(
        IReadOnlyCollection<CoverageCell> cells, IReadOnlyDictionary<long, RepInfo> reps, int minSample)
    {
        Dictionary<string, List<CoverageCell>> Of(string dim) => cells.Where(c => c.Dim == dim)
            .GroupBy(c => c.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var overall = Group("all", Of("overall").GetValueOrDefault("") ?? [], minSample, "All closed deals");
        var periods = Of("period").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Group(g.Key, g.Value, minSample)).ToList();
        var byRep = Of("rep").Select(g =>
        {
            var id = long.Parse(g.Key, CultureInfo.InvariantCulture);
            var rep = reps.GetValueOrDefault(id);
            return Group(g.Key, g.Value, minSample, rep?.Name ?? $"rep {id}", id, rep?.Team);
        }).OrderByDescending(g => g.Bias.Warning).ThenBy(g => g.Coverage.Rate).ThenBy(g => g.Label, StringComparer.Ordinal).ToList();
        var teams = Of("team").Select(g => g.Key.Length == 0
                ? Group(None, g.Value, minSample, "No team")
                : Group(g.Key, g.Value, minSample, g.Key, team: g.Key))
            .OrderBy(g => g.Coverage.Rate).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var segments = Of("segment").Select(g => g.Key.Length == 0 ? Group(None, g.Value, minSample, "No segment") : Group(g.Key, g.Value, minSample, g.Key))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        return (overall, periods, byRep, teams, segments);
    }

    /// <summary>A sentence per group whose win and loss coverage differ beyond chance.</summary>
    public static string Warning(string who, SelectionBias bias)
    {
        var effect = bias.Z > 0 ? "better" : "worse";
        return string.Create(CultureInfo.InvariantCulture,
            $"{who}: {bias.WinCoverage * 100:0}% of won deals reported but {bias.LossCoverage * 100:0}% of lost deals (z = {bias.Z:0.00}); win rates from these reports look {effect} than they are.");
    }
}
