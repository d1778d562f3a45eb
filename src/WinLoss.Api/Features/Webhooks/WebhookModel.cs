using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>The event types a webhook can subscribe to (Standard Webhooks style: dot-separated, lower case).</summary>
public static class WebhookEvents
{
    public const string ReportFiled = "report.filed";
    public const string AlertRaised = "alert.raised";
    public const string DigestWeekly = "digest.weekly";
    /// <summary>Reserved for report requests (coverage, issue 20): a rep is asked to file a report on a closed deal.</summary>
    public const string ReportRequested = "report.requested";
    /// <summary>Sent by POST /webhooks/{id}/test to that webhook only; not subscribable.</summary>
    public const string Ping = "ping";

    public static readonly string[] Subscribable = [ReportFiled, AlertRaised, DigestWeekly, ReportRequested];
}

public static class WebhookFormats
{
    public const string Standard = "standard";
    public const string Slack = "slack";
    public static readonly string[] All = [Standard, Slack];
}

public sealed record WebhookDto(
    long Id, string Url, IReadOnlyList<string> Events, string Format, string? Description,
    string CreatedAt, long CreatedBy, string? DisabledAt, string? DisabledReason);

/// <summary>The 201 of POST /webhooks: the webhook and its signing secret, shown this once.</summary>
public sealed record CreatedWebhookDto(
    long Id, string Url, IReadOnlyList<string> Events, string Format, string? Description,
    string CreatedAt, long CreatedBy, string Secret);

public sealed record DeliveryAttemptDto(string At, int? Status, string? Error, long DurationMs);

public sealed record DeliveryDto(
    long Id, long WebhookId, string EventType, string MessageId, string State, int Attempts,
    string CreatedAt, string? LastAttemptAt, int? LastStatus, string? LastError, string? NextAttemptAt, string? DeliveredAt,
    long? RedeliveryOf, IReadOnlyList<DeliveryAttemptDto> AttemptLog);

/// <summary>
/// Settings (environment variables or configuration keys):
/// WINLOSS_WEBHOOKS_ALLOW_PRIVATE=true lets webhooks target loopback/private/link-local addresses (tests, on-premise receivers);
/// WINLOSS_WEBHOOKS_RETRY_SCHEDULE the delays between attempts, e.g. "5s,5m,30m,2h,5h,10h,14h,20h,24h" (the default) or
/// "200ms,200ms" in tests; WINLOSS_WEBHOOKS_POLL_INTERVAL how often the worker looks for due deliveries (default 1s);
/// WINLOSS_WEBHOOKS_TIMEOUT per attempt (default 15s); WINLOSS_PUBLIC_URL the service's public base URL, used for links
/// in Slack messages (omitted when unset).
/// </summary>
public sealed class WebhookOptions
{
    public static readonly TimeSpan[] DefaultSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    public bool AllowPrivate { get; init; }
    public IReadOnlyList<TimeSpan> RetrySchedule { get; init; } = DefaultSchedule;
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);
    public string? PublicUrl { get; init; }

    /// <summary>A delivery is given up after the first attempt plus one retry per schedule entry.</summary>
    public int MaxAttempts => RetrySchedule.Count + 1;

    public static WebhookOptions From(IConfiguration configuration)
    {
        string? Get(string key) => configuration[key] ?? Environment.GetEnvironmentVariable(key);
        return new WebhookOptions
        {
            AllowPrivate = string.Equals(Get("WINLOSS_WEBHOOKS_ALLOW_PRIVATE"), "true", StringComparison.OrdinalIgnoreCase),
            RetrySchedule = Get("WINLOSS_WEBHOOKS_RETRY_SCHEDULE") is { Length: > 0 } s ? s.Split(',').Select(ParseDuration).ToArray() : DefaultSchedule,
            PollInterval = Get("WINLOSS_WEBHOOKS_POLL_INTERVAL") is { Length: > 0 } p ? ParseDuration(p) : TimeSpan.FromSeconds(1),
            Timeout = Get("WINLOSS_WEBHOOKS_TIMEOUT") is { Length: > 0 } t ? ParseDuration(t) : TimeSpan.FromSeconds(15),
            PublicUrl = Get("WINLOSS_PUBLIC_URL")?.TrimEnd('/'),
        };
    }

    /// <summary>"250ms", "5s", "5m", "2h" (a bare number is seconds).</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var s = text.Trim();
        var (number, unit) = s.EndsWith("ms", StringComparison.Ordinal) ? (s[..^2], 0.001)
            : s.EndsWith('s') ? (s[..^1], 1.0)
            : s.EndsWith('m') ? (s[..^1], 60.0)
            : s.EndsWith('h') ? (s[..^1], 3600.0)
            : (s, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
            throw new InvalidOperationException($"Not a duration: '{text}' (use e.g. 250ms, 5s, 5m, 2h).");
        return TimeSpan.FromSeconds(value * unit);
    }
}

/// <summary>Standard Webhooks 1.0 symmetric signatures: v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).</summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A new signing key: 32 random bytes (the spec asks for 24 to 64).</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>The secret as shown to the user: "whsec_" + base64 of the key bytes.</summary>
    public static string Format(byte[] key) => SecretPrefix + Convert.ToBase64String(key);

    /// <summary>The key bytes of a "whsec_…" secret (the part after the prefix, base64-decoded), as receivers' libraries do.</summary>
    public static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);

    public static string Sign(byte[] key, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{messageId}.{timestamp}."));
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
