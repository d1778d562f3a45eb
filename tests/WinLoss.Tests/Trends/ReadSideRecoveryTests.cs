using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>
/// The read side against the real process: kill -9 while reports are being filed (between commits and their
/// projection, and with snapshots being saved every second), then restart — the trends count every stored report
/// exactly once. A damaged snapshot file is rebuilt from the write store.
/// </summary>
[Trait("Tier", "Process")]
public sealed class ReadSideRecoveryTests
{
    private static readonly Dictionary<string, string> FastSnapshots = new() { ["WINLOSS_READSIDE_SNAPSHOT_SECONDS"] = "1" };

    [Fact]
    public async Task Kill_9_under_load_then_restart_loses_and_double_counts_nothing()
    {
        var dir = Path.Combine(Path.GetTempPath(), "winloss-readside", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "winloss.db");
        try
        {
            var service = await ServiceProcess.StartAsync(dbPath, env: FastSnapshots);
            var client = service.Client();
            client.Timeout = TimeSpan.FromSeconds(30);
            using var cts = new CancellationTokenSource();
            var filed = 0;
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !cts.IsCancellationRequested; i++)
                {
                    try
                    {
                        var response = await client.PostReport(Http.Report($"RS-{w}-{i}", b => b["closedOn"] = $"2026-0{1 + i % 9}-1{i % 10}"));
                        if (response.StatusCode == HttpStatusCode.Created) Interlocked.Increment(ref filed);
                        if (i % 5 == 0)
                        {
                            // Reads between writes keep the projector busy while the kill comes.
                            await client.GetAsync("/api/v1/trends/competitors?segment=mid_market");
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return;
                    }
                }
            })).ToArray();

            // Let at least one snapshot be saved mid-stream, then kill while filings are in flight.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((Volatile.Read(ref filed) < 400 || !File.Exists(ServiceProcess.SnapshotPath(dbPath))) && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(File.Exists(ServiceProcess.SnapshotPath(dbPath)), "a snapshot was saved while filing");
            service.Kill();
            cts.Cancel();
            await Task.WhenAll(writers);
            await service.DisposeAsync();

            await using var restarted = await ServiceProcess.StartAsync(dbPath, env: FastSnapshots);
            long stored;
            using (var db = ServiceProcess.OpenDb(dbPath))
            {
                using var command = db.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM reports WHERE deleted_at IS NULL";
                stored = (long)command.ExecuteScalar()!;
            }
            Assert.True(stored >= 400);
            var answer = await (await restarted.Client().GetAsync("/api/v1/trends/competitors?granularity=quarter")).ReadJson();
            Assert.Equal(stored, answer["overall"]!.AsArray().Sum(r => r!["deals"]!.GetValue<long>()));
            Assert.Equal(stored, answer["rows"]!.AsArray().Sum(r => r!["deals"]!.GetValue<long>()));
            Assert.NotNull(answer["asOf"]?.GetValue<string>());
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_damaged_snapshot_is_rebuilt_from_the_write_store()
    {
        var dir = Path.Combine(Path.GetTempPath(), "winloss-readside", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "winloss.db");
        try
        {
            await using (var service = await ServiceProcess.StartAsync(dbPath, env: FastSnapshots))
            {
                var client = service.Client();
                for (var i = 0; i < 12; i++)
                    Assert.Equal(HttpStatusCode.Created, (await client.PostReport(Http.Report($"DMG-{i}"))).StatusCode);
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (!File.Exists(ServiceProcess.SnapshotPath(dbPath)) && DateTime.UtcNow < deadline) await Task.Delay(50);
            }
            Assert.True(File.Exists(ServiceProcess.SnapshotPath(dbPath)));
            File.WriteAllText(ServiceProcess.SnapshotPath(dbPath), "this is not a database");

            await using var restarted = await ServiceProcess.StartAsync(dbPath, env: new Dictionary<string, string>
            {
                ["WINLOSS_READSIDE_SNAPSHOT_SECONDS"] = "1", ["Logging__LogLevel__WinLoss.Api.Infrastructure.ReadSide"] = "Information",
            });
            var answer = await (await restarted.Client().GetAsync("/api/v1/trends/competitors")).ReadJson();
            Assert.Equal(12, answer["overall"]!.AsArray().Sum(r => r!["deals"]!.GetValue<long>()));
            string log;
            lock (restarted.Output) log = restarted.Output.ToString();
            Assert.Contains("damaged or unreadable", log);
            Assert.Contains("Read side rebuilt", log);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
