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

    /// <summary>Earliest and latest day a trend range may name: periods before and after them must exist on the calendar.</summary>
    public static readonly DateOnly MinDate = new(1900, 1, 1), MaxDate = new(2999, 12, 31);

    /// <summary>Adds a failure naming the query parameter for each bad value.</summary>
    public static void Check(TrendParameters p, ValidationContext<object> context) => Check(p, (field, message) => context.AddFailure(field, message));

    public static void Check(TrendParameters p, Action<string, string> fail)
    {
        var fromOk = Date(p.From, "from", fail, out var from);
        var toOk = Date(p.To, "to", fail, out var to);
        if (fromOk && toOk && from is not null && to is not null && from > to) fail("to", "to must not be before from.");
        if (p.Segment is not null && !ReportRules.Segments.Contains(p.Segment)) fail("segment", "segment must be one of: smb, mid_market, enterprise.");
        if (p.Stage is not null && !ReportRules.Stages.Contains(p.Stage))
            fail("stage", "stage must be one of: qualification, discovery, demo, proposal, negotiation, closing.");
        foreach (var (name, value) in new[] { ("region", p.Region), ("product", p.Product), ("industry", p.Industry) })
            if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Trim().Length > 100 || !ReportRules.IsSingleLine(value)))
                fail(name, $"{name} must be 1 to 100 characters of text.");
        if (!Statistics.TryParseGranularity(p.Granularity, out _)) fail("granularity", "granularity must be one of: week, month, quarter.");
        if (p.MinSample is not null && (!int.TryParse(p.MinSample, NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m < 1 || m > 1_000_000))
            fail("minSample", "minSample must be an integer from 1 to 1000000.");
        if (p.Format is not null and not ("json" or "csv")) fail("format", "format must be json or csv.");
    }

    private static bool Date(string? value, string name, Action<string, string> fail, out DateOnly? date)
    {
        date = null;
        if (value is null) return true;
        if (!ReportRules.TryParseDate(value, out var d))
        {
            fail(name, $"{name} must be a date YYYY-MM-DD.");
            return false;
        }
        if (d < MinDate || d > MaxDate)
        {
            fail(name, $"{name} must be between {MinDate:yyyy-MM-dd} and {MaxDate:yyyy-MM-dd}.");
            return false;
        }
        date = d;
        return true;
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
