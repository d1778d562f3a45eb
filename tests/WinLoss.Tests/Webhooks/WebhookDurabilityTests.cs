using System.Net;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Webhooks;

/// <summary>At-least-once across kill -9: the real service process is killed while a delivery is being retried.</summary>
[Trait("Tier", "Process")]
public sealed class WebhookDurabilityTests
{
    [Fact]
    public async Task A_delivery_interrupted_by_kill_9_is_delivered_after_the_restart_with_the_same_webhook_id()
    {
        var dir = Path.Combine(Path.GetTempPath(), "winloss-webhooks", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "winloss.db");
        var env = new Dictionary<string, string>
        {
            ["WINLOSS_WEBHOOKS_ALLOW_PRIVATE"] = "true",
            ["WINLOSS_WEBHOOKS_RETRY_SCHEDULE"] = "300ms,300ms,300ms,300ms,300ms",
            ["WINLOSS_WEBHOOKS_POLL_INTERVAL"] = "100ms",
            ["WINLOSS_WEBHOOKS_TIMEOUT"] = "30s",
        };
        await using var receiver = await Receiver.StartAsync();
        // 1st attempt: 500. 2nd attempt: the receiver holds the request (no answer) — the service is killed meanwhile.
        // After the restart: 200.
        var restarted = false;
        receiver.Script = n => restarted ? new Receiver.Answer(200)
            : n == 0 ? new Receiver.Answer(500)
            : new Receiver.Answer(200, Delay: TimeSpan.FromSeconds(60));
        try
        {
            long webhookId;
            string secret;
            await using (var service = await ServiceProcess.StartAsync(dbPath, env: env))
            {
                var client = service.Client();
                (webhookId, secret) = await client.CreateWebhookAsync(receiver.Url, ["report.filed"]);
                Assert.Equal(HttpStatusCode.Created, (await client.PostReport(Http.Report("WH-KILL-1"))).StatusCode);
                await receiver.WaitForAsync(1);                 // the 500
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (receiver.Started < 2 && DateTime.UtcNow < deadline) await Task.Delay(20);
                Assert.Equal(2, receiver.Started);              // the second attempt is in flight, unanswered
                service.Kill();                                 // SIGKILL mid-attempt
            }
            restarted = true;
            var first = receiver.Requests.Single();

            await using var again = await ServiceProcess.StartAsync(dbPath, env: env);
            // On PostgreSQL the killed instance's claim on the delivery runs out first (attempt timeout 30 s + 5 s).
            var delivered = (await receiver.WaitForAsync(2, TimeSpan.FromSeconds(TestEngine.PostgreSql ? 90 : 30)))[1];
            Assert.Equal(200, delivered.AnsweredWith);
            Assert.Equal(first.Id, delivered.Id);              // same webhook-id: the receiver can deduplicate
            Assert.Equal(first.Text, delivered.Text);
            Assert.True(WebhookHttp.SignatureVerifies(secret, delivered)); // the secret survived the restart too
            Assert.Equal("WH-KILL-1", delivered.Json["data"]!["dealId"]!.GetValue<string>());

            var deliveries = await again.Client().WaitForDeliveriesAsync(webhookId, l => l[0]!["state"]!.GetValue<string>() == "delivered");
            Assert.Single(deliveries);
            // The killed attempt left no record (it never finished); the 500 and the final 200 did.
            Assert.Equal([500, 200], deliveries[0]!["attemptLog"]!.AsArray().Select(a => a!["status"]!.GetValue<int>()));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
