using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Webhooks;

/// <summary>Webhooks end to end: the service sends to a real local receiver; every assertion is what a receiver or an API user sees.</summary>
public sealed class WebhookTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    [Fact]
    public async Task Ping_arrives_signed_per_Standard_Webhooks_and_the_secret_is_shown_once()
    {
        await using var receiver = await Receiver.StartAsync();
        var admin = app.Admin();
        var create = await admin.PostAsync("/api/v1/webhooks", Http.Json(new { url = receiver.Url, events = new[] { "report.filed" }, description = "CI channel" }));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = await create.ReadJson();
        var id = created["id"]!.GetValue<long>();
        var secret = created["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.Equal("standard", created["format"]!.GetValue<string>());
        Assert.Equal($"/api/v1/webhooks/{id}", create.Headers.Location!.OriginalString);

        // The secret is never shown again, and not stored in clear in the database.
        var read = await (await admin.GetAsync($"/api/v1/webhooks/{id}")).ReadJson();
        Assert.Null(read["secret"]);
        Assert.Equal("CI channel", read["description"]!.GetValue<string>());
        Assert.DoesNotContain(secret, (await admin.GetStringAsync("/api/v1/webhooks")));
        using (var db = app.OpenDb())
        {
            var stored = Dapper.SqlMapper.ExecuteScalar<byte[]>(db, "SELECT secret FROM webhooks WHERE id = @id", new { id })!;
            var key = Convert.FromBase64String(secret["whsec_".Length..]);
            Assert.True(stored.AsSpan().IndexOf(key) < 0);
        }

        var test = await admin.PostAsync($"/api/v1/webhooks/{id}/test", null);
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        var queued = await test.ReadJson();
        Assert.Equal("ping", queued["eventType"]!.GetValue<string>());

        var received = (await receiver.WaitForAsync(1)).Single();
        Assert.StartsWith("msg_", received.Id);
        Assert.Equal(queued["messageId"]!.GetValue<string>(), received.Id);
        Assert.InRange(long.Parse(received.Timestamp!), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.True(WebhookHttp.SignatureVerifies(secret, received), "signature does not verify");
        Assert.False(WebhookHttp.SignatureVerifies("whsec_" + Convert.ToBase64String(new byte[32]), received));
        Assert.Equal("ping", received.Json["type"]!.GetValue<string>());
        Assert.Equal(id, received.Json["data"]!["webhookId"]!.GetValue<long>());

        var deliveries = await admin.WaitForDeliveriesAsync(id, l => l.Count == 1 && l[0]!["state"]!.GetValue<string>() == "delivered");
        Assert.Equal(200, deliveries[0]!["lastStatus"]!.GetValue<int>());
        Assert.Single(deliveries[0]!["attemptLog"]!.AsArray());
    }

    [Fact]
    public async Task Failures_are_retried_and_the_third_attempt_delivers_with_the_same_webhook_id()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Script = n => new Receiver.Answer(n < 2 ? 500 : 200);
        var admin = app.Admin();
        var (id, secret) = await admin.CreateWebhookAsync(receiver.Url, ["report.filed"]);

        var filed = await admin.PostReport(Http.Report("WH-RETRY-1"));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);

        var requests = await receiver.WaitForAsync(3);
        Assert.Equal([500, 500, 200], requests.Select(r => r.AnsweredWith));
        Assert.Single(requests.Select(r => r.Id).Distinct());
        Assert.All(requests, r => Assert.True(WebhookHttp.SignatureVerifies(secret, r)));
        Assert.All(requests, r => Assert.Equal(requests[0].Text, r.Text)); // the same body every time
        Assert.Equal("report.filed", requests[0].Json["type"]!.GetValue<string>());
        Assert.Equal("WH-RETRY-1", requests[0].Json["data"]!["dealId"]!.GetValue<string>());
        Assert.Equal("lost", requests[0].Json["data"]!["outcome"]!.GetValue<string>());
        // Retries wait (schedule 200 ms here): the attempts are spread out, not fired back to back.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(180));

        var deliveries = await admin.WaitForDeliveriesAsync(id, l => l.Count == 1 && l[0]!["state"]!.GetValue<string>() == "delivered");
        var d = deliveries[0]!;
        Assert.Equal(3, d["attempts"]!.GetValue<int>());
        Assert.Equal([500, 500, 200], d["attemptLog"]!.AsArray().Select(a => a!["status"]!.GetValue<int>()));
        Assert.Contains("HTTP 500", d["attemptLog"]![0]!["error"]!.GetValue<string>());
        Assert.Null(d["nextAttemptAt"]);
        Assert.Equal(requests[0].Id, d["messageId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retry_after_is_honoured()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Script = n => n == 0 ? new Receiver.Answer(503, RetryAfterSeconds: 2) : new Receiver.Answer(200);
        var admin = app.Admin();
        var (id, _) = await admin.CreateWebhookAsync(receiver.Url, ["report.filed"]);
        await admin.PostAsync($"/api/v1/webhooks/{id}/test", null);
        var requests = await receiver.WaitForAsync(2);
        // The schedule says 200 ms; the receiver asked for 2 s.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(1.9), $"retried after {(requests[1].At - requests[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_410_disables_the_webhook_and_nothing_more_is_sent()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Script = _ => new Receiver.Answer(410);
        var admin = app.Admin();
        var (id, _) = await admin.CreateWebhookAsync(receiver.Url, ["report.filed"]);
        await admin.PostAsync($"/api/v1/webhooks/{id}/test", null);
        await receiver.WaitForAsync(1);

        var deliveries = await admin.WaitForDeliveriesAsync(id, l => l[0]!["state"]!.GetValue<string>() == "failed");
        Assert.Equal(410, deliveries[0]!["lastStatus"]!.GetValue<int>());
        var webhook = await (await admin.GetAsync($"/api/v1/webhooks/{id}")).ReadJson();
        Assert.NotNull(webhook["disabledAt"]);
        Assert.Contains("410", webhook["disabledReason"]!.GetValue<string>());

        // New events are not queued for it, a test ping is refused with a way out, and the receiver hears nothing more.
        Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Http.Report("WH-GONE-1"))).StatusCode);
        var ping = await admin.PostAsync($"/api/v1/webhooks/{id}/test", null);
        Assert.Equal(HttpStatusCode.Conflict, ping.StatusCode);
        Assert.Contains("/enable", (await ping.ReadJson())["detail"]!.GetValue<string>());
        await Task.Delay(600);
        Assert.Equal(1, receiver.Count);
        Assert.Single(await admin.DeliveriesAsync(id));

        // Enabled again, it receives the next event.
        receiver.Script = _ => new Receiver.Answer(200);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/webhooks/{id}/enable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Http.Report("WH-GONE-2"))).StatusCode);
        var second = (await receiver.WaitForAsync(2))[1];
        Assert.Equal("WH-GONE-2", second.Json["data"]!["dealId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Redelivery_sends_the_same_message_again_with_the_same_webhook_id()
    {
        await using var receiver = await Receiver.StartAsync();
        var admin = app.Admin();
        var (id, secret) = await admin.CreateWebhookAsync(receiver.Url, ["report.filed"]);
        await admin.PostAsync($"/api/v1/webhooks/{id}/test", null);
        var first = (await receiver.WaitForAsync(1))[0];
        var deliveries = await admin.WaitForDeliveriesAsync(id, l => l[0]!["state"]!.GetValue<string>() == "delivered");
        var deliveryId = deliveries[0]!["id"]!.GetValue<long>();

        var again = await admin.PostAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(deliveryId, (await again.ReadJson())["redeliveryOf"]!.GetValue<long>());
        var second = (await receiver.WaitForAsync(2))[1];
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Text, second.Text);
        Assert.True(WebhookHttp.SignatureVerifies(secret, second));

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/webhooks/{id}/deliveries/999999/redeliver", null)).StatusCode);
    }

    [Fact]
    public async Task Only_subscribers_get_an_event_and_a_deleted_webhook_gets_nothing()
    {
        await using var filedReceiver = await Receiver.StartAsync();
        await using var alertReceiver = await Receiver.StartAsync();
        var admin = app.Admin();
        var (filedId, _) = await admin.CreateWebhookAsync(filedReceiver.Url, ["report.filed"]);
        var (alertId, _) = await admin.CreateWebhookAsync(alertReceiver.Url, ["alert.raised", "digest.weekly"]);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Http.Report("WH-SUB-1"))).StatusCode);
        var got = await filedReceiver.WaitForAsync(1);
        Assert.Contains(got, r => r.Json["data"]!["dealId"]!.GetValue<string>() == "WH-SUB-1");
        // A failed filing (same deal again: 409) raises nothing: the event commits with the report or not at all.
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostReport(Http.Report("WH-SUB-1"))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/webhooks/{filedId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/webhooks/{filedId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Http.Report("WH-SUB-2"))).StatusCode);
        await Task.Delay(500);
        Assert.DoesNotContain(filedReceiver.Requests, r => r.Text.Contains("WH-SUB-2"));
        Assert.DoesNotContain(filedReceiver.Requests, r => r.Text.Contains("WH-SUB-1") && r != got[0]);
        // The alerts webhook heard no report.filed (it may have had its weekly digest).
        Assert.DoesNotContain(alertReceiver.Requests, r => r.Json["type"]!.GetValue<string>() == "report.filed");
        Assert.DoesNotContain(await admin.DeliveriesAsync(alertId), d => d!["eventType"]!.GetValue<string>() == "report.filed");
    }

    [Fact]
    public async Task Slack_format_posts_text_and_blocks()
    {
        await using var receiver = await Receiver.StartAsync();
        var admin = app.Admin();
        await admin.CreateWebhookAsync(receiver.Url, ["report.filed"], format: "slack");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Http.Report("WH-SLACK-<1>"))).StatusCode);
        var body = (await receiver.WaitForAsync(1))[0].Json;
        var text = body["text"]!.GetValue<string>();
        Assert.Contains("WH-SLACK-&lt;1&gt; lost", text);   // Slack's mrkdwn needs <, > and & escaped
        Assert.Contains("Acme Corp", text);
        var blocks = body["blocks"]!.AsArray();
        Assert.Equal("section", blocks[0]!["type"]!.GetValue<string>());
        var section = blocks[0]!["text"]!["text"]!.GetValue<string>();
        Assert.Contains("USD 25,000", section);
        Assert.Contains("reasons: price", section);
        Assert.Null(body["type"]); // not the Standard Webhooks envelope
    }

    [Fact]
    public async Task Only_analysts_and_admins_manage_webhooks()
    {
        await using var receiver = await Receiver.StartAsync();
        var body = new { url = receiver.Url, events = new[] { "report.filed" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(app.SeedUser("rep")).PostAsync("/api/v1/webhooks", Http.Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(app.SeedUser("marketing")).GetAsync("/api/v1/webhooks")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await app.Client(app.SeedUser("analyst")).PostAsync("/api/v1/webhooks", Http.Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/v1/webhooks")).StatusCode);
    }

    [Theory]
    [InlineData("""{"events":["report.filed"]}""", "url")]
    [InlineData("""{"url":"ftp://example.com/x","events":["report.filed"]}""", "url")]
    [InlineData("""{"url":"https://user:pw@example.com/x","events":["report.filed"]}""", "url")]
    [InlineData("""{"url":"https://example.com/x"}""", "events")]
    [InlineData("""{"url":"https://example.com/x","events":[]}""", "events")]
    [InlineData("""{"url":"https://example.com/x","events":["report.filed","deal.won"]}""", "events[1]")]
    [InlineData("""{"url":"https://example.com/x","events":["ping"]}""", "events[0]")]
    [InlineData("""{"url":"https://example.com/x","events":["report.filed","report.filed"]}""", "events[1]")]
    [InlineData("""{"url":"https://example.com/x","events":["report.filed"],"format":"teams"}""", "format")]
    [InlineData("""{"url":"https://example.com/x","events":["report.filed"],"secret":"mine"}""", "secret")]
    [InlineData("""{"url":"https://example.com/x","events":"report.filed"}""", "events")]
    [InlineData("""{"url":"https://example.com/x","events":[1]}""", "events[0]")]
    [InlineData("""{"url":"https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.invalid/x","events":["report.filed"]}""", "url")]
    public async Task Bad_input_is_a_400_naming_the_field_and_stores_nothing(string json, string field)
    {
        var admin = app.Admin();
        var before = (await admin.GetStringAsync("/api/v1/webhooks")).Length;
        var response = await admin.PostAsync("/api/v1/webhooks", Http.Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull((await response.ReadJson())["errors"]![field]);
        Assert.Equal(before, (await admin.GetStringAsync("/api/v1/webhooks")).Length);
    }

    [Fact]
    public async Task Deliveries_list_validates_its_parameters_and_unknown_webhooks_are_404()
    {
        var admin = app.Admin();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/webhooks/999999/deliveries")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/v1/webhooks/999999/test", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/v1/webhooks/999999")).StatusCode);
        await using var receiver = await Receiver.StartAsync();
        var (id, _) = await admin.CreateWebhookAsync(receiver.Url, ["report.filed"]);
        var bad = await admin.GetAsync($"/api/v1/webhooks/{id}/deliveries?state=lost&limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.ReadJson())["errors"]!;
        Assert.NotNull(errors["state"]);
        Assert.NotNull(errors["limit"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"/api/v1/webhooks/{id}/deliveries?limit=abc")).StatusCode);
    }
}
