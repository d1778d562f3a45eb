using System.Net;
using WinLoss.Api.Features.Webhooks;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Webhooks;

/// <summary>The SSRF guard, without WINLOSS_WEBHOOKS_ALLOW_PRIVATE: the service refuses internal targets.</summary>
public sealed class WebhookTargetTests(StrictWebhookApp app) : IClassFixture<StrictWebhookApp>
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]          // http at all (https is required), and loopback
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://172.20.0.1/hook")]
    [InlineData("https://192.168.1.10/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]   // cloud metadata
    [InlineData("https://[fd00:ec2::254]/")]                    // AWS metadata over IPv6
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://[::ffff:10.0.0.1]/hook")]              // IPv4-mapped private
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://100.64.0.1/hook")]
    public async Task Private_targets_are_refused_without_the_setting(string url)
    {
        var response = await app.Admin().PostAsync("/api/v1/webhooks", Http.Json(new { url, events = new[] { "report.filed" } }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadJson())["errors"]!["url"]);
        Assert.Equal("[]", await app.Admin().GetStringAsync("/api/v1/webhooks"));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.255.255.255", false)]
    [InlineData("172.15.255.255", true)]    // just below 172.16/12
    [InlineData("172.16.0.0", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.0", true)]        // just above
    [InlineData("192.168.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.63.255.255", true)]
    [InlineData("100.64.0.0", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("203.0.113.5", false)]      // documentation
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("64:ff9b::a00:1", false)]   // NAT64 of 10.0.0.1
    [InlineData("2606:4700:4700::1111", true)]
    public void Address_classification(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookTargets.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task A_name_is_resolved_and_every_address_checked()
    {
        var refused = await Assert.ThrowsAsync<WebhookTargetRefusedException>(() => WebhookTargets.ResolveAsync("localhost", allowPrivate: false, CancellationToken.None));
        Assert.Contains("localhost", refused.Message);
        Assert.NotEmpty(await WebhookTargets.ResolveAsync("localhost", allowPrivate: true, CancellationToken.None));
    }

    [Fact]
    public async Task Delivery_rechecks_the_address_when_connecting()
    {
        // The connect step refuses a private address even when the URL got past registration (e.g. DNS changed since).
        var connect = WebhookTargets.ConnectCallback(allowPrivate: false);
        using var handler = new SocketsHttpHandler { ConnectCallback = connect };
        using var client = new HttpClient(handler);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("http://127.0.0.1:9/"));
        Assert.IsType<WebhookTargetRefusedException>(ex.InnerException);
    }

    [Fact]
    public void Signature_matches_the_published_Standard_Webhooks_test_vector()
    {
        // From the Standard Webhooks / Svix reference libraries' tests.
        var key = WebhookSignature.KeyOf("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var signature = WebhookSignature.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}"""u8);
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Theory]
    [InlineData("5s", 5)]
    [InlineData("250ms", 0.25)]
    [InlineData("30m", 1800)]
    [InlineData("2h", 7200)]
    [InlineData("1.5", 1.5)]
    public void Retry_schedule_durations_parse(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), WebhookOptions.ParseDuration(text));

    [Fact]
    public void The_default_schedule_spans_about_three_days_in_ten_attempts()
    {
        var options = new WebhookOptions();
        Assert.Equal(10, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RetrySchedule[0]);
        var total = options.RetrySchedule.Aggregate(TimeSpan.Zero, (a, b) => a + b);
        Assert.InRange(total.TotalHours, 72, 80); // 75 h 35 min 5 s
    }
}
