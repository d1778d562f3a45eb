using System.Diagnostics;
using System.Security.Claims;
using System.Text.RegularExpressions;

namespace WinLoss.Api.Infrastructure.Http;

/// <summary>
/// One structured log line per request: method, path (never the query string), status, elapsed ms and
/// the caller's user id. Headers are never logged (Authorization carries the key), and anything in the
/// path that looks like an API key is masked.
/// </summary>
public static partial class RequestLogging
{
    public const string Category = "WinLoss.Requests";

    /// <summary>
    /// Console logs one line per entry (UTC timestamps; Logging__Console__FormatterName=json for JSON lines).
    /// ASP.NET Core's own per-request lines are silenced below Warning: ours replaces them, and theirs
    /// include the query string.
    /// </summary>
    public static ILoggingBuilder AddWinLossLogging(this ILoggingBuilder logging)
    {
        // Without a formatter name the console logger rebuilds the simple formatter's options from its
        // legacy settings (dropping SingleLine); name it unless configuration chose one (e.g. json).
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.FormatterName ??= "simple");
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        return logging;
    }

    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        return app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(http);
            }
            finally
            {
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var status = http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted ? 499 : http.Response.StatusCode;
                var userId = http.User.Identity?.IsAuthenticated == true ? http.User.FindFirstValue(ClaimTypes.NameIdentifier) : null;
                LogRequest(logger, http.Request.Method, SafePath(http.Request.Path.Value), status, Math.Round(elapsed, 1), userId ?? "-");
            }
        });
    }

    /// <summary>The path with anything shaped like an API key (wl_ + 20 or more key characters) masked.</summary>
    public static string SafePath(string? path) => KeyLike().Replace(path ?? "/", "wl_***");

    [GeneratedRegex("wl_[A-Za-z0-9_-]{20,}", RegexOptions.CultureInvariant)]
    private static partial Regex KeyLike();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Method} {Path} {StatusCode} {ElapsedMs} ms user={UserId}")]
    private static partial void LogRequest(ILogger logger, string method, string path, int statusCode, double elapsedMs, string userId);
}
