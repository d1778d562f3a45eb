using System.Globalization;
using FluentValidation;
using WinLoss.Api.Features.Reports;

namespace WinLoss.Api.Features.Trends;

/// <summary>The query parameters every trend takes (docs/api-guide.md "Trends"), as sent.</summary>
public sealed record TrendParameters
{
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Segment { get; init; }
    public string? Region { get; init; }
    public string? Product { get; init; }
    public string? Industry { get; init; }
    public string? Stage { get; init; }
    public string? Granularity { get; init; }
    public string? MinSample { get; init; }
    public string? Format { get; init; }

    /// <summary>Earliest and latest day a trend range may name (<see cref="ReportFilterRules"/>).</summary>
    public static readonly DateOnly MinDate = ReportFilterRules.MinDate, MaxDate = ReportFilterRules.MaxDate;

    /// <summary>Adds a failure naming the query parameter for each bad value.</summary>
    public static void Check(TrendParameters p, ValidationContext<object> context) => Check(p, (field, message) => context.AddFailure(field, message));

    public static void Check(TrendParameters p, Action<string, string> fail)
    {
        ReportFilterRules.Check(new ReportFilterValues(p.From, p.To, p.Segment, p.Region, p.Product, p.Industry, p.Stage), fail);
        if (!Statistics.TryParseGranularity(p.Granularity, out _)) fail("granularity", "granularity must be one of: week, month, quarter.");
        if (p.MinSample is not null && (!int.TryParse(p.MinSample, NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m < 1 || m > 1_000_000))
            fail("minSample", "minSample must be an integer from 1 to 1000000.");
        if (p.Format is not null and not ("json" or "csv")) fail("format", "format must be json or csv.");
    }

    /// <summary>The parsed filter (call after <see cref="Check(TrendParameters, Action{string, string})"/> passed).</summary>
    public TrendFilter Parse()
    {
        Statistics.TryParseGranularity(Granularity, out var granularity);
        return new TrendFilter(
            From is null ? null : DateOnly.ParseExact(From, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            To is null ? null : DateOnly.ParseExact(To, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            Segment, Region?.Trim(), Product?.Trim(), Industry?.Trim(), Stage, granularity,
            MinSample is null ? 20 : int.Parse(MinSample, CultureInfo.InvariantCulture));
    }

    public bool IsCsv => Format == "csv";
}

/// <summary>
/// A validated trend filter: closedOn range (either end open), at most one value per dimension (segment and stage
/// exact, region, product and industry ignoring ASCII case), the bucket size and the low-sample threshold.
/// </summary>
public sealed record TrendFilter(
    DateOnly? From, DateOnly? To, string? Segment, string? Region, string? Product, string? Industry, string? Stage,
    Granularity Granularity, int MinSample)
{
    public string GranularityName => Granularity.ToString().ToLowerInvariant();
}
