using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Reports;

/// <summary>
/// Several real API processes on one PostgreSQL database: started together (one migrates and creates the admin),
/// filing through all of them at once, one killed with SIGKILL under load. Nothing acknowledged is lost, no deal and no
/// Idempotency-Key is stored twice, and the trends read through every surviving instance agree with each other and with
/// the database.
/// </summary>
[Trait("Tier", "Process")]
[Trait("Engine", "PostgreSql")]
public sealed class MultiInstanceTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Instances_on_one_database_lose_nothing_when_one_is_killed_under_load(int instances)
    {
        var db = TestEngine.CreatePostgreSqlDatabase();
        var dirs = Enumerable.Range(0, instances).Select(_ => Directory.CreateTempSubdirectory("winloss-multi-").FullName).ToList();
        var services = new List<ServiceProcess>();
        try
        {
            // Started at the same moment on an empty database: the start-up lock lets one migrate and create the admin.
            services.AddRange(await Task.WhenAll(dirs.Select(dir =>
                ServiceProcess.StartAsync(db, env: new Dictionary<string, string> { ["WINLOSS_DATA_DIR"] = dir }))));
            using (var c = TestEngine.Open(db))
                Assert.Equal(1, c.ExecuteScalar<long>("SELECT COUNT(*) FROM users WHERE role = 'admin'"));

            var acknowledged = new ConcurrentDictionary<string, long>();
            var conflicts = new ConcurrentBag<string>();
            var unexpected = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            var victim = services[^1];
            var clients = services.Select(s => { var h = s.Client(); h.Timeout = TimeSpan.FromSeconds(30); return h; }).ToList();

            // Each writer files through instance (w mod n); every fourth deal is also sent, with the same Idempotency-Key, to
            // the next instance at the same moment, and every seventh deal again with a different key (a second report for
            // the same deal: 409).
            var writers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var dealId = $"MI-{w}-{i}";
                    var first = clients[w % instances];
                    var second = clients[(w + 1) % instances];
                    var sends = new List<Task<(HttpStatusCode? Status, long? Id)>> { Send(first, dealId, dealId) };
                    if (i % 4 == 0) sends.Add(Send(second, dealId, dealId));
                    if (i % 7 == 0) sends.Add(Send(second, dealId, dealId + "-other"));
                    var results = await Task.WhenAll(sends);
                    if (results.All(r => r.Status is null)) await Task.Delay(50); // its instance is dead: do not spin
                    foreach (var (status, id) in results)
                    {
                        if (status is HttpStatusCode.Created or HttpStatusCode.OK && id is { } reportId)
                        {
                            var stored = acknowledged.GetOrAdd(dealId, reportId);
                            if (stored != reportId) unexpected.Add($"{dealId}: two report ids acknowledged ({stored}, {reportId})");
                        }
                        else if (status == HttpStatusCode.Conflict) conflicts.Add(dealId);
                        else if (status is not null and not HttpStatusCode.ServiceUnavailable) unexpected.Add($"{dealId}: {status}");
                    }
                }
            })).ToArray();

            await WaitFor(() => acknowledged.Count >= 150, writers, "150 acknowledged reports before the kill");
            victim.Kill(); // SIGKILL while its requests are in flight
            var atKill = acknowledged.Count;
            await WaitFor(() => acknowledged.Count >= atKill + 100, writers, "100 more through the surviving instances");
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            Assert.Empty(unexpected);
            Assert.NotEmpty(conflicts); // the second reports for a deal were refused

            using (var c = TestEngine.Open(db))
            {
                var live = c.Query<(string DealId, long Id)>("SELECT deal_id, id FROM reports WHERE deleted_at IS NULL").ToList();
                Assert.Equal(live.Count, live.Select(r => r.DealId).Distinct().Count());
                var byDeal = live.ToDictionary(r => r.DealId, r => r.Id);
                foreach (var (dealId, id) in acknowledged)
                {
                    Assert.True(byDeal.TryGetValue(dealId, out var stored), $"acknowledged {dealId} is missing");
                    Assert.Equal(id, stored);
                }
                Assert.Equal(0, c.ExecuteScalar<long>(
                    "SELECT COUNT(*) FROM (SELECT user_id, key FROM idempotency_keys GROUP BY user_id, key HAVING COUNT(*) > 1) d"));

                // Every surviving instance answers the same trend, counting every stored report.
                var survivors = clients.Take(instances - 1).ToList();
                var answers = new List<JsonNode>();
                foreach (var client in survivors)
                {
                    var trend = await (await client.GetAsync("/api/v1/trends/competitors?granularity=month")).ReadJson();
                    trend.AsObject().Remove("asOf");
                    answers.Add(trend);
                }
                foreach (var answer in answers.Skip(1)) Assert.Equal(answers[0].ToJsonString(), answer.ToJsonString());
                // Every report names one competitor (Acme Corp): the overall row counts each stored report once.
                var deals = answers[0]["overall"]!.AsArray().Sum(x => x!["deals"]!.GetValue<long>());
                Assert.Equal(live.Count, deals);
            }
        }
        finally
        {
            foreach (var service in services) await service.DisposeAsync();
            TestEngine.Drop(db);
            foreach (var dir in dirs) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Two_instances_deliver_each_webhook_event_once()
    {
        var db = TestEngine.CreatePostgreSqlDatabase();
        var dirs = Enumerable.Range(0, 2).Select(_ => Directory.CreateTempSubdirectory("winloss-multi-").FullName).ToList();
        var services = new List<ServiceProcess>();
        await using var receiver = await Webhooks.Receiver.StartAsync();
        try
        {
            // Instances of one deployment share the master key that encrypts webhook secrets (docs/postgresql.md).
            var masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            foreach (var dir in dirs)
                services.Add(await ServiceProcess.StartAsync(db, env: new Dictionary<string, string>
                {
                    ["WINLOSS_DATA_DIR"] = dir,
                    ["WINLOSS_WEBHOOKS_ALLOW_PRIVATE"] = "true",
                    ["WINLOSS_WEBHOOKS_POLL_INTERVAL"] = "50ms",
                    ["WINLOSS_SECRETS_KEY"] = masterKey,
                }));
            var clients = services.Select(s => s.Client()).ToList();
            await Webhooks.WebhookHttp.CreateWebhookAsync(clients[0], receiver.Url, ["report.filed"]);

            await Task.WhenAll(Enumerable.Range(0, 30).Select(i => clients[i % 2].PostReport(Http.Report($"WHM-{i}"))));
            var received = await receiver.WaitForAsync(30, TimeSpan.FromSeconds(60));
            await Task.Delay(2000); // time for a second delivery, were one coming
            var ids = receiver.Requests.Select(r => r.Id).ToList();
            Assert.Equal(30, ids.Distinct().Count());
            Assert.Equal(30, ids.Count); // polled by both instances, each event sent once
            Assert.NotEmpty(received);
        }
        finally
        {
            foreach (var service in services) await service.DisposeAsync();
            TestEngine.Drop(db);
            foreach (var dir in dirs) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<(HttpStatusCode? Status, long? Id)> Send(HttpClient client, string dealId, string key)
    {
        try
        {
            var response = await client.PostReport(Http.Report(dealId), idempotencyKey: key);
            long? id = response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK ? (await response.ReadJson())["id"]!.GetValue<long>() : null;
            return (response.StatusCode, id);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            return (null, null); // the instance died under the request: not acknowledged
        }
    }

    private static async Task WaitFor(Func<bool> condition, Task[] writers, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!condition())
        {
            if (writers.All(t => t.IsCompleted)) Assert.Fail($"every writer stopped before {what}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
