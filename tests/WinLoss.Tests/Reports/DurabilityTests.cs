using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Reports;

/// <summary>An acknowledged (201) report survives kill -9 of the real process the moment after.</summary>
[Trait("Tier", "Process")]
public sealed class DurabilityTests
{
    [Fact]
    public async Task Every_acknowledged_report_survives_kill_9_and_restart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "winloss-durability", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "winloss.db");
        var acknowledged = new ConcurrentDictionary<string, long>();
        try
        {
            var service = await ServiceProcess.StartAsync(dbPath);
            using var cts = new CancellationTokenSource();
            var client = service.Client();
            client.Timeout = TimeSpan.FromSeconds(30);

            // 16 writers file reports as fast as they can; the process is killed while they are still going.
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !cts.IsCancellationRequested; i++)
                {
                    var dealId = $"DUR-{w}-{i}";
                    try
                    {
                        var response = await client.PostReport(Http.Report(dealId), idempotencyKey: dealId);
                        if (response.StatusCode == HttpStatusCode.Created)
                            acknowledged[dealId] = (await response.ReadJson())["id"]!.GetValue<long>();
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Text.Json.JsonException)
                    {
                        return; // the process died under us: stop this writer
                    }
                }
            })).ToArray();

            // Wait for 300 acknowledgements, but not forever: if the writers all stopped (the service died) or the service
            // is too slow, fail saying so instead of hanging the test run.
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (acknowledged.Count < 300)
            {
                if (writers.All(t => t.IsCompleted)) Assert.Fail($"every writer stopped after {acknowledged.Count} acknowledged reports: {service.Output}");
                if (DateTime.UtcNow > deadline) Assert.Fail($"only {acknowledged.Count} reports acknowledged in 2 minutes");
                await Task.Delay(10);
            }
            service.Kill(); // SIGKILL mid-stream, while requests are in flight
            cts.Cancel();
            await Task.WhenAll(writers);
            await service.DisposeAsync();
            Assert.True(acknowledged.Count >= 300);

            await using var restarted = await ServiceProcess.StartAsync(dbPath);
            var reader = restarted.Client();
            var missing = new List<string>();
            foreach (var (dealId, id) in acknowledged)
            {
                var response = await reader.GetAsync($"/api/v1/reports/{id}");
                if (response.StatusCode != HttpStatusCode.OK) { missing.Add(dealId); continue; }
                var body = await response.ReadJson();
                if (body["dealId"]!.GetValue<string>() != dealId) missing.Add(dealId);
            }
            Assert.Empty(missing);

            // A retry of an acknowledged request after the crash returns the original report, not a duplicate.
            var (someDeal, someId) = acknowledged.First();
            var retry = await reader.PostReport(Http.Report(someDeal), idempotencyKey: someDeal);
            Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
            Assert.Equal(someId, (await retry.ReadJson())["id"]!.GetValue<long>());
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
