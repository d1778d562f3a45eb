using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Identity;

public sealed class SecurityHeadersTests(TestApp app) : IClassFixture<TestApp>
{
    [Theory]
    [InlineData("/health/live", null, false)]
    [InlineData("/app/no-such-page.html", null, false)]
    [InlineData("/api/v1/me", "admin", true)]
    [InlineData("/api/v1/me", null, true)]
    [InlineData("/api/v1/reports/987654321", "admin", true)]
    [InlineData("/api/v1/audit?limit=zero", "admin", true)]
    public async Task Every_response_carries_the_security_headers_and_api_responses_are_not_stored(string url, string? who, bool api)
    {
        var response = await (who is null ? app.Client(null) : app.Admin()).GetAsync(url);

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("style-src 'self';", csp);
        Assert.Contains("connect-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe", csp);
        if (api) Assert.True(response.Headers.CacheControl?.NoStore, $"{url} must be Cache-Control: no-store");
        else Assert.NotEqual(true, response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Swagger_ui_still_renders_its_own_inline_styles()
    {
        var response = await app.Client(null).GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("style-src 'self' 'unsafe-inline'", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }
}

public sealed class RateLimitTests
{
    private static WebApplicationFactory<Program> WithLimit(TestApp baseApp, int perMinute) =>
        baseApp.WithWebHostBuilder(b => b.UseSetting("WINLOSS_RATE_LIMIT", perMinute.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static HttpClient Client(WebApplicationFactory<Program> factory, string? key)
    {
        var client = factory.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task Over_the_limit_a_key_gets_429_problem_json_with_retry_after_while_other_keys_and_health_go_on()
    {
        await using var baseApp = new TestApp();
        await using var factory = WithLimit(baseApp, 3);
        var admin = Client(factory, TestApp.AdminKey);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/me")).StatusCode);

        var limited = await admin.GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
        Assert.Equal(429, (await limited.ReadJson())["status"]!.GetValue<int>());
        Assert.Equal("nosniff", limited.Headers.GetValues("X-Content-Type-Options").Single());
        // Still limited for every endpoint, not only the one used.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await admin.GetAsync("/api/v1/reports")).StatusCode);

        // Another key has its own budget (created straight in the database: the admin's budget is spent).
        var other = SeedKey(baseApp);
        Assert.Equal(HttpStatusCode.OK, (await Client(factory, other).GetAsync("/api/v1/me")).StatusCode);

        // /health is exempt.
        var anonymous = Client(factory, null);
        for (var i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Requests_without_a_valid_key_share_one_budget_per_client_so_key_guessing_is_throttled()
    {
        await using var baseApp = new TestApp();
        await using var factory = WithLimit(baseApp, 3);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add((await Client(factory, $"wl_guess_{i}_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        // A valid key is not punished for its neighbours' guesses.
        Assert.Equal(HttpStatusCode.OK, (await Client(factory, TestApp.AdminKey).GetAsync("/api/v1/me")).StatusCode);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("lots")]
    public async Task A_bad_rate_limit_setting_stops_start_up(string value)
    {
        await using var baseApp = new TestApp();
        await using var factory = baseApp.WithWebHostBuilder(b => b.UseSetting("WINLOSS_RATE_LIMIT", value));
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("WINLOSS_RATE_LIMIT", error.ToString());
    }

    private static string SeedKey(TestApp baseApp)
    {
        using var c = baseApp.OpenDb();
        var key = WinLoss.Api.Infrastructure.Auth.ApiKeys.Generate();
        Dapper.SqlMapper.Execute(c, "INSERT INTO api_keys (user_id, prefix, hash, created_at) VALUES (1, @prefix, @hash, '2026-01-01T00:00:00.000Z')",
            new { prefix = WinLoss.Api.Infrastructure.Auth.ApiKeys.DisplayPrefix(key), hash = WinLoss.Api.Infrastructure.Auth.ApiKeys.Hash(key) });
        return key;
    }
}

public sealed class RequestLoggingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Each_request_is_one_log_line_with_method_path_status_time_and_user_and_no_key_ever_appears(bool everythingAtTrace)
    {
        var capture = new CapturingLoggerProvider();
        await using var baseApp = new TestApp();
        await using var factory = baseApp.WithWebHostBuilder(b => b.ConfigureLogging(l =>
        {
            l.AddProvider(capture);
            if (everythingAtTrace) l.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace);
        }));
        var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestApp.AdminKey);

        // A user and keys are created (the responses carry keys), used, revoked, and misused.
        var created = await (await admin.PostAsync("/api/v1/users", Http.Json(new { email = "log@example.com", displayName = "Log", role = "rep" }))).ReadJson();
        var repKey = created["key"]!["key"]!.GetValue<string>();
        var userId = created["user"]!["id"]!.GetValue<long>();
        var second = (await (await admin.PostAsync($"/api/v1/users/{userId}/keys", null)).ReadJson())["key"]!.GetValue<string>();
        var rep = factory.CreateClient();
        rep.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", repKey);
        Assert.Equal(HttpStatusCode.Created, (await rep.PostReport(Http.Report("LOG-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/keys/{created["key"]!["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rep.GetAsync("/api/v1/me")).StatusCode);
        var bad = factory.CreateClient();
        bad.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + second + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await bad.GetAsync("/api/v1/me")).StatusCode);
        // A key pasted into a URL by mistake: not logged at the configured levels (ASP.NET Core's own debug and
        // trace logs do print paths and query strings; headers, where keys belong, are never logged at any level).
        if (!everythingAtTrace)
            foreach (var url in new[] { $"/api/v1/reports/{second}", $"/api/v1/me?api_key={second}" }) await admin.GetAsync(url);

        var lines = capture.Lines.ToList();
        foreach (var secret in new[] { TestApp.AdminKey, repKey, second, repKey[3..], second[3..], "Bearer" })
        {
            var leaks = lines.Where(line => line.Contains(secret, StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(leaks.Count == 0, "logged: " + string.Join("\n", leaks));
        }

        var requests = capture.Lines.Where(l => l.StartsWith(WinLoss.Api.Infrastructure.Http.RequestLogging.Category + "|", StringComparison.Ordinal))
            .Select(l => l.Split('|')[1]).ToList();
        Assert.Contains(requests, l => l.Contains($"POST /api/v1/users 201 ", StringComparison.Ordinal) && l.EndsWith(" user=1", StringComparison.Ordinal));
        Assert.Contains(requests, l => l.Contains($"POST /api/v1/reports 201 ", StringComparison.Ordinal) && l.EndsWith($" user={userId}", StringComparison.Ordinal));
        Assert.Contains(requests, l => l.Contains("GET /api/v1/me 401 ", StringComparison.Ordinal) && l.EndsWith(" user=-", StringComparison.Ordinal));
        if (!everythingAtTrace) Assert.Contains(requests, l => l.Contains("GET /api/v1/reports/wl_*** 404 ", StringComparison.Ordinal));
        Assert.All(requests, l => Assert.DoesNotContain('\n', l));
        Assert.All(requests, l => Assert.DoesNotContain('?', l));
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{category}|{formatter(state, exception)}" + (values.Length > 0 ? "|" + values : "") + (exception is null ? "" : "|" + exception));
            }
        }
    }
}
