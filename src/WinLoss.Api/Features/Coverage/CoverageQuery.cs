using System.Globalization;
using FluentValidation;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Features.Trends;

namespace WinLoss.Api.Features.Coverage;

/// <summary>The query parameters of the coverage and data-quality answers, as sent (all optional).</summary>
public sealed record CoverageParameters
{
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Segment { get; init; }
    public string? Region { get; init; }
    public string? Product { get; init; }
    public string? Team { get; init; }
    public string? RepId { get; init; }
    public string? Granularity { get; init; }
    public string? MinSample { get; init; }
    public string? Format { get; init; }

    public void Check(Action<string, string> fail)
    {
        DateOnly from = default, to = default;
        var fromOk = From is null || ReportRules.TryParseDate(From, out from);
        var toOk = To is null || ReportRules.TryParseDate(To, out to);
        if (!fromOk) fail("from", "from must be a date YYYY-MM-DD.");
        if (!toOk) fail("to", "to must be a date YYYY-MM-DD.");
        if (fromOk && toOk && From is not null && To is not null && from > to) fail("to", "to must not be before from.");
        if (Segment is not null && !ReportRules.Segments.Contains(Segment)) fail("segment", "segment must be one of: smb, mid_market, enterprise.");
        foreach (var (name, value) in new[] { ("region", Region), ("product", Product), ("team", Team) })
            if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Trim().Length > 100 || !ReportRules.IsSingleLine(value)))
                fail(name, $"{name} must be 1 to 100 characters of text.");
        if (RepId is not null && !long.TryParse(RepId, NumberStyles.None, CultureInfo.InvariantCulture, out _)) fail("repId", "repId must be a user id.");
        if (!Statistics.TryParseGranularity(Granularity, out _)) fail("granularity", "granularity must be one of: week, month, quarter.");
        if (MinSample is not null && (!int.TryParse(MinSample, NumberStyles.None, CultureInfo.InvariantCulture, out var m) || m < 1 || m > 1_000_000))
            fail("minSample", "minSample must be an integer from 1 to 1000000.");
        if (Format is not null and not ("json" or "csv")) fail("format", "format must be json or csv.");
    }

    public CoverageFilter Parse()
    {
        Statistics.TryParseGranularity(Granularity, out var granularity);
        return new CoverageFilter(
            From is null ? null : DateOnly.ParseExact(From, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            To is null ? null : DateOnly.ParseExact(To, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            Segment, Region?.Trim(), Product?.Trim(), Team?.Trim(),
            RepId is null ? null : long.Parse(RepId, CultureInfo.InvariantCulture), granularity,
            MinSample is null ? 20 : int.Parse(MinSample, CultureInfo.InvariantCulture));
    }
}

/// <summary>A parsed coverage filter. Dates are on closedOn.</summary>
public sealed record CoverageFilter(
    DateOnly? From, DateOnly? To, string? Segment, string? Region, string? Product, string? Team, long? RepId,
    Granularity Granularity, int MinSample)
{
    public string? FromText => From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    public string? ToText => To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

public static class CoverageText
{
    /// <summary>"2026-10-15T09:00:00.000Z" filed for a deal closed "2026-10-13" → 2 (days, never negative: a report filed before the CRM's close date is 0).</summary>
    public static double DaysBetween(string closedOn, string filedAt)
    {
        var closed = DateOnly.ParseExact(closedOn, "yyyy-MM-dd", CultureInfo.InvariantCulture).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var filed = DateTime.Parse(filedAt, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        return Math.Max(0, Math.Floor((filed - closed).TotalDays));
    }

    public static DateOnly Date(string value) => DateOnly.ParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
