using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace WinLoss.Api.Infrastructure.Http;

/// <summary>
/// WINLOSS_RATE_LIMIT requests per minute (fixed one-minute window) per API key; requests without a
/// valid key share a budget per client IP (so guessing keys is throttled too). /health is exempt.
/// Runs after authentication, so the partition is the key the request actually authenticated with
/// (its id, which stands 1:1 for its hash). Over the limit: 429 problem+json with Retry-After (seconds).
/// </summary>
public static class RateLimiting
{
    public const int DefaultPerMinute = 600;

    public static int ReadLimit(IConfiguration configuration)
    {
        var value = configuration["WINLOSS_RATE_LIMIT"];
        if (string.IsNullOrWhiteSpace(value)) return DefaultPerMinute;
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0
            ? limit
            : throw new InvalidOperationException("WINLOSS_RATE_LIMIT must be a positive whole number of requests per minute.");
    }

    public static IServiceCollection AddWinLossRateLimiting(this IServiceCollection services, int perMinute) =>
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (http.Request.Path.StartsWithSegments("/health")) return RateLimitPartition.GetNoLimiter("health");
                var keyId = http.User.Identity?.IsAuthenticated == true ? http.User.FindFirstValue("key_id") : null;
                var partition = keyId is not null ? "key:" + keyId : "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = perMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = async (context, cancellationToken) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
                    : 60;
                var http = context.HttpContext;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many requests",
                    detail: $"At most {perMinute} requests per minute per API key. Retry after {seconds} s.",
                    instance: http.Request.Path).ExecuteAsync(http);
            };
        });
}
