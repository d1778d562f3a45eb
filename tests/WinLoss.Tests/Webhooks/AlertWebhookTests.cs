using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Webhooks;

/// <summary>alert.raised is pushed once per alert (not once per report that keeps it true); digest.weekly once per week.</summary>
public sealed class AlertWebhookTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    [Fact]
    public async Task An_alert_is_pushed_once_and_the_weekly_digest_once()
    {
        await using var receiver = await Receiver.StartAsync();
        var admin = app.Admin();

        // Last month: 2 of 30 deals raised "integration"; this month 20 of 30 do. Every deal names Acme on a loss.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var thisMonth = new DateOnly(today.Year, today.Month, 1);
        var lastMonth = thisMonth.AddMonths(-1);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Report($"AL-B-{i}", lastMonth.AddDays(i % 28), integration: i < 2))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Report($"AL-N-{i}", today, integration: i < 20))).StatusCode);
        }

        // Subscribed once the data is in (a webhook subscribed earlier would hear of the alert as soon as it first held).
        await admin.CreateWebhookAsync(receiver.Url, ["alert.raised", "digest.weekly"]);
        var alert = await WaitForAsync(receiver, r => r.Json["type"]!.GetValue<string>() == "alert.raised" && r.Json["data"]!["subject"]!.GetValue<string>() == "integration");
        var data = alert.Json["data"]!;
        Assert.Equal("objection", data["kind"]!.GetValue<string>());
        Assert.Equal(thisMonth.ToString("yyyy-MM", CultureInfo.InvariantCulture), data["period"]!.GetValue<string>());
        Assert.Contains("integration", data["summary"]!.GetValue<string>());
        Assert.Contains("6.7%", data["summary"]!.GetValue<string>());   // 2 of 30 before
        Assert.Contains("66.7%", data["summary"]!.GetValue<string>());  // 20 of 30 now

        // More reports that keep the alert true: no second alert.raised for it.
        for (var i = 30; i < 36; i++)
            Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Report($"AL-N-{i}", today, integration: true))).StatusCode);
        await Task.Delay(1500); // ~7 evaluation intervals
        Assert.Single(receiver.Requests, r => r.Json["type"]!.GetValue<string>() == "alert.raised" && r.Json["data"]!["subject"]!.GetValue<string>() == "integration");

        var digests = receiver.Requests.Where(r => r.Json["type"]!.GetValue<string>() == "digest.weekly").ToList();
        var digest = Assert.Single(digests);
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        Assert.Equal(monday.AddDays(-7).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), digest.Json["data"]!["from"]!.GetValue<string>());
        Assert.StartsWith("WinLoss week ", digest.Json["data"]!["summary"]!.GetValue<string>());
    }

    private static JsonObject Report(string dealId, DateOnly closedOn, bool integration) => Http.Report(dealId, r =>
    {
        r["closedOn"] = closedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        r["objections"] = integration
            ? new JsonArray(new JsonObject { ["category"] = "integration", ["overcome"] = false })
            : new JsonArray();
    });

    private static async Task<Received> WaitForAsync(Receiver receiver, Func<Received, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (receiver.Requests.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException("no matching request; got: " + string.Join(" | ", receiver.Requests.Select(r => r.Text)));
    }
}
