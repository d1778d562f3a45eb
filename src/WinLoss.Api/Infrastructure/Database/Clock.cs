using System.Globalization;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>Timestamps are stored as UTC ISO-8601 text with millisecond precision (sortable).</summary>
public static class Clock
{
    public static string Now() => Format(DateTimeOffset.UtcNow);
    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    public static DateOnly TodayUtc() => DateOnly.FromDateTime(DateTime.UtcNow);
}
