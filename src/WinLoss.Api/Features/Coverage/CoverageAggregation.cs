using System.Globalization;
using WinLoss.Api.Features.Trends;

namespace WinLoss.Api.Features.Coverage;

/// <summary>One closed deal as coverage sees it: when it closed, whose it is, how it ended, and when (if) its rep reported it.</summary>
public sealed record DealFact(DateOnly ClosedOn, long RepId, string? Segment, string Outcome, double? DaysToReport);

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

/// <summary>Pure: deal facts → coverage groups (no I/O; the query that produces the facts lives in <see cref="GetCoverageHandler"/>).</summary>
public static class CoverageAggregation
{
    public const string None = "none";

    public static CoverageGroup Group(string key, IReadOnlyCollection<DealFact> deals, int minSample, string? label = null, long? repId = null, string? team = null)
    {
        var outcomes = new SortedDictionary<string, OutcomeCoverage>(StringComparer.Ordinal);
        foreach (var outcome in Reports.ReportRules.Outcomes)
        {
            var of = deals.Where(d => d.Outcome == outcome).ToList();
            outcomes[outcome] = new OutcomeCoverage(
                CoverageStatistics.Rate(of.Count(d => d.DaysToReport is not null), of.Count, minSample), MedianDays(of));
        }
        var won = outcomes["won"].Coverage;
        var lost = outcomes["lost"].Coverage;
        return new CoverageGroup
        {
            Key = key, Label = label, RepId = repId, Team = team,
            Coverage = CoverageStatistics.Rate(deals.Count(d => d.DaysToReport is not null), deals.Count, minSample),
            MedianDaysToReport = MedianDays(deals),
            Outcomes = outcomes,
            Bias = CoverageStatistics.Bias(won.Reported, won.Known, lost.Reported, lost.Known),
        };
    }

    private static double? MedianDays(IEnumerable<DealFact> deals) =>
        CoverageStatistics.Median(deals.Where(d => d.DaysToReport is not null).Select(d => d.DaysToReport!.Value));

    public static IReadOnlyList<CoverageGroup> ByPeriod(IReadOnlyCollection<DealFact> deals, Granularity granularity, int minSample) =>
        deals.GroupBy(d => Statistics.PeriodBounds(d.ClosedOn, granularity).Start).OrderBy(g => g.Key)
            .Select(g => Group(Statistics.PeriodLabel(g.Key, granularity), g.ToList(), minSample)).ToList();

    public static IReadOnlyList<CoverageGroup> ByRep(IReadOnlyCollection<DealFact> deals, IReadOnlyDictionary<long, RepInfo> reps, int minSample) =>
        deals.GroupBy(d => d.RepId)
            .Select(g =>
            {
                var rep = reps.GetValueOrDefault(g.Key);
                return Group(g.Key.ToString(CultureInfo.InvariantCulture), g.ToList(), minSample, rep?.Name, g.Key, rep?.Team);
            })
            .OrderByDescending(g => g.Bias.Warning).ThenBy(g => g.Coverage.Rate).ThenBy(g => g.Label, StringComparer.Ordinal).ToList();

    public static IReadOnlyList<CoverageGroup> ByTeam(IReadOnlyCollection<DealFact> deals, IReadOnlyDictionary<long, RepInfo> reps, int minSample) =>
        deals.GroupBy(d => reps.GetValueOrDefault(d.RepId)?.Team ?? None, StringComparer.Ordinal)
            .Select(g => Group(g.Key, g.ToList(), minSample, g.Key == None ? "No team" : g.Key, team: g.Key == None ? null : g.Key))
            .OrderBy(g => g.Coverage.Rate).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();

    public static IReadOnlyList<CoverageGroup> BySegment(IReadOnlyCollection<DealFact> deals, int minSample) =>
        deals.GroupBy(d => d.Segment ?? None, StringComparer.Ordinal)
            .Select(g => Group(g.Key, g.ToList(), minSample, g.Key == None ? "No segment" : g.Key))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();

    /// <summary>A sentence per group whose win and loss coverage differ beyond chance.</summary>
    public static string Warning(string who, SelectionBias bias)
    {
        var effect = bias.Z > 0 ? "better" : "worse";
        return string.Create(CultureInfo.InvariantCulture,
            $"{who}: {bias.WinCoverage * 100:0}% of won deals reported but {bias.LossCoverage * 100:0}% of lost deals (z = {bias.Z:0.00}); win rates from these reports look {effect} than they are.");
    }
}
