using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Webhooks;

/// <summary>digest.weekly sums up the last complete ISO week, including the biggest week-on-week win-rate moves.</summary>
public sealed class DigestWebhookTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    [Fact]
    public async Task The_weekly_digest_names_the_biggest_win_rate_move_with_its_n()
    {
        await using var receiver = await Receiver.StartAsync();
        var admin = app.Admin();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var lastWeek = monday.AddDays(-7);
        var weekBefore = monday.AddDays(-14);
        // Omega: 8 of 10 won the week before, 2 of 10 last week.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Report($"DG-A-{i}", weekBefore.AddDays(i % 5), i < 8 ? "won" : "lost"))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Report($"DG-B-{i}", lastWeek.AddDays(i % 5), i < 2 ? "won" : "lost"))).StatusCode);
        }
        await admin.CreateWebhookAsync(receiver.Url, ["digest.weekly"]);

        var digest = (await receiver.WaitForAsync(1))[0].Json;
        Assert.Equal("digest.weekly", digest["type"]!.GetValue<string>());
        var data = digest["data"]!;
        Assert.Equal(lastWeek.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), data["from"]!.GetValue<string>());
        Assert.Equal(monday.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), data["to"]!.GetValue<string>());
        var move = Assert.Single(data["moves"]!.AsArray(), m => m!["kind"]!.GetValue<string>() == "win_rate")!;
        Assert.Equal("Win rate against Omega: 80% (n = 10) → 20% (n = 10) (not an alert).", move["summary"]!.GetValue<string>());
        Assert.Contains("Win rate against Omega", data["details"]!.GetValue<string>());

        // Once per week: later evaluations send nothing more.
        await Task.Delay(1000);
        Assert.Equal(1, receiver.Count);
    }

    private static JsonObject Report(string dealId, DateOnly closedOn, string outcome) => Http.Report(dealId, r =>
    {
        r["closedOn"] = closedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        r["outcome"] = outcome;
        r["competitors"] = new JsonArray(new JsonObject { ["name"] = "Omega" });
        r["objections"] = new JsonArray();
    });
}
