using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Coverage;

/// <summary>report.requested reaches the webhook outbox when a new closed deal waits for its rep's report, and only then.</summary>
public sealed class ReportRequestedEventTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task A_new_waiting_deal_raises_report_requested_and_a_reported_or_repeated_one_does_not()
    {
        var email = $"rep-{Guid.NewGuid():N}@example.com";
        var rep = app.SeedUser("rep", email);
        using (var db = app.OpenDb())
            db.Execute("""
                INSERT INTO webhooks (url, events, format, secret, created_at, created_by)
                VALUES ('https://hooks.invalid/winloss', '["report.requested"]', 'standard', @secret, '2026-11-30T00:00:00.000Z', 1)
                """, new { secret = new byte[] { 0 } });
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep.Key).PostReport(Http.Report("EV-2"))).StatusCode);

        foreach (var dealId in new[] { "EV-1", "EV-1", "EV-2" })
        {
            var deal = new JsonObject { ["dealId"] = dealId, ["outcome"] = "lost", ["closedOn"] = "2026-10-15", ["rep"] = email, ["account"] = "Globex" };
            Assert.True((await app.Admin().PostAsync("/api/v1/deals/closed", Http.Json(deal.ToJsonString()))).IsSuccessStatusCode);
        }

        using var check = app.OpenDb();
        var payloads = check.Query<string>("SELECT payload FROM webhook_events WHERE type = 'report.requested'").ToList();
        var data = JsonNode.Parse(Assert.Single(payloads))!["data"]!;
        Assert.Equal(("EV-1", rep.UserId, "Please report deal EV-1 (lost, closed 2026-10-15, Globex)."),
            (data["dealId"]!.GetValue<string>(), data["repId"]!.GetValue<long>(), data["summary"]!.GetValue<string>()));
    }
}
