using System.Globalization;
using WinLoss.Api.Features.Trends;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// What a trend answer rests on: of the closed deals known in its slice, the share with a rep's report, in total and per
/// outcome, and a sentence for the dashboard ("based on 38% of closed-lost deals (412 of 1,084)").
/// <c>ignoredFilters</c> names trend filters closed deals do not carry (industry, stage, competitor): the coverage is then
/// that of the wider slice without them.
/// </summary>
public sealed record SliceCoverage(
    CoverageRate Coverage, IReadOnlyDictionary<string, CoverageRate> Outcomes, SelectionBias Bias, string Text, IReadOnlyList<string> IgnoredFilters);

/// <summary>The slice of a trend: dates on closedOn, the filters closed deals carry, and the outcome the trend is about (reasons: lost / no_decision / won).</summary>
public sealed record TrendSlice(
    DateOnly? From, DateOnly? To, string? Segment = null, string? Region = null, string? Product = null,
    string? Outcome = null, string? Industry = null, string? Stage = null, string? Competitor = null, int MinSample = 20);

/// <summary>
/// For the trend handlers: <c>await trendCoverage.ForAsync(slice, ct)</c> → <see cref="SliceCoverage"/>, or
/// null when no closed deal is known in the slice (then the answer omits <c>coverage</c>). Register nothing: it is a
/// singleton already (Program.cs).
/// </summary>
public sealed class TrendCoverage(CoverageFacts facts)
{
    /// <summary>
    /// The coverage of a trend answer's filter: <paramref name="outcome"/> for answers about one outcome (reasons:
    /// lost | no_decision | won), <paramref name="competitor"/> when the answer is filtered on one (noted as ignored).
    /// </summary>
    public Task<SliceCoverage?> ForAsync(TrendFilter filter, string? outcome, string? competitor, CancellationToken cancellationToken) =>
        ForAsync(new TrendSlice(filter.From, filter.To, filter.Segment, filter.Region, filter.Product, outcome, filter.Industry, filter.Stage,
            competitor, filter.MinSample), cancellationToken);

    public async Task<SliceCoverage?> ForAsync(TrendSlice slice, CancellationToken cancellationToken)
    {
        var filter = new CoverageFilter(slice.From, slice.To, slice.Segment, slice.Region, slice.Product, null, null, Granularity.Month, slice.MinSample);
        var cells = await facts.SliceAsync(filter, cancellationToken);
        if (cells.FirstOrDefault(c => c.Outcome == CoverageAggregation.AllOutcomes) is not { Known: > 0 }) return null;
        var ignored = new List<string>();
        if (slice.Industry is not null) ignored.Add("industry");
        if (slice.Stage is not null) ignored.Add("stage");
        if (slice.Competitor is not null) ignored.Add("competitor");
        return Of(cells, slice.Outcome, slice.MinSample, ignored);
    }

    /// <summary>Pure: the coverage of a slice from its cells, its sentence naming <paramref name="outcome"/> when the trend is about one.</summary>
    public static SliceCoverage Of(IReadOnlyCollection<CoverageCell> cells, string? outcome, int minSample, IReadOnlyList<string> ignored)
    {
        var group = CoverageAggregation.Group("slice", cells, minSample);
        var outcomes = group.Outcomes.ToDictionary(o => o.Key, o => o.Value.Coverage, StringComparer.Ordinal);
        var main = outcome is not null && outcomes.TryGetValue(outcome, out var of) ? of : group.Coverage;
        var what = outcome switch
        {
            "won" => "closed-won deals",
            "lost" => "closed-lost deals",
            "no_decision" => "no-decision deals",
            _ => "closed deals",
        };
        var text = main.Rate is { } rate
            ? string.Create(CultureInfo.InvariantCulture, $"based on {rate * 100:0}% of {what} ({main.Reported:N0} of {main.Known:N0})")
            : $"no {what} known in this slice";
        return new SliceCoverage(main, outcomes, group.Bias, text, ignored);
    }
}
