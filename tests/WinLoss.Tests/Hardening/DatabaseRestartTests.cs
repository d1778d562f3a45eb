using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Hardening;

/// <summary>
/// PostgreSQL restarted under load (a cluster of the test's own, so other tests are not disturbed): requests in the
/// gap fail with 503 problem+json and Retry-After — never a 500 — nothing is half-written, and the service carries on
/// by itself once the database is back.
/// </summary>
[Trait("Tier", "Process")]
[Trait("Engine", "PostgreSql")]
public sealed class DatabaseRestartTests
{
    [Fact]
    public async Task A_database_restart_under_load_answers_503_with_Retry_After_and_the_service_recovers_without_a_restart()
    {
        var dir = Directory.CreateTempSubdirectory("winloss-pgrestart-").FullName;
        try
        {
            var server = PgScript("start", dir);
            using (var admin = new Npgsql.NpgsqlConnection(server))
            {
                admin.Open();
                admin.Execute("CREATE DATABASE winloss");
            }
            var db = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = "winloss" }.ConnectionString;
            await using var service = await ServiceProcess.StartAsync(db, env: new Dictionary<string, string> { ["WINLOSS_DATA_DIR"] = dir });
            var client = service.Client();
            client.Timeout = TimeSpan.FromSeconds(30);

            var acknowledged = new ConcurrentDictionary<string, long>();
            var refused = new ConcurrentBag<string>();
            var wrong = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var dealId = $"RS-{w}-{i}";
                    var response = await client.PostReport(Http.Report(dealId), idempotencyKey: dealId);
                    if (response.StatusCode == HttpStatusCode.Created) acknowledged[dealId] = (await response.ReadJson())["id"]!.GetValue<long>();
                    else if (response.StatusCode == HttpStatusCode.ServiceUnavailable
                        && response.Headers.RetryAfter is not null
                        && response.Content.Headers.ContentType?.MediaType == "application/problem+json")
                    {
                        refused.Add(dealId);
                        await Task.Delay(50);
                    }
                    else wrong.Add($"{dealId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            })).ToArray();

            await WaitFor(() => acknowledged.Count >= 100, "100 reports before the restart");
            PgScript("restart", dir);
            var afterRestart = acknowledged.Count;
            await WaitFor(() => acknowledged.Count >= afterRestart + 100, "100 reports after the restart");
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            Assert.Empty(wrong);
            Assert.NotEmpty(refused); // the restart cut sessions in use: those requests were refused, with Retry-After
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

            // A refused request is safe to repeat: sent again with its key it is stored (or replayed if it had committed).
            foreach (var dealId in refused.Take(20))
            {
                var again = await client.PostReport(Http.Report(dealId), idempotencyKey: dealId);
                Assert.True(again.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{dealId}: {again.StatusCode}");
            }

            using var c = TestEngine.Open(db);
            var stored = c.Query<(string DealId, long Id)>("SELECT deal_id, id FROM reports").ToDictionary(r => r.DealId, r => r.Id);
            foreach (var (dealId, id) in acknowledged) Assert.Equal(id, stored[dealId]);
            // Nothing half-written: every stored report has its competitor, reason and objection row and its change-log entry.
            Assert.Equal(0, c.ExecuteScalar<long>(
                """
                SELECT COUNT(*) FROM reports r
                WHERE (SELECT COUNT(*) FROM report_competitors x WHERE x.report_id = r.id) <> 1
                   OR (SELECT COUNT(*) FROM report_reasons x WHERE x.report_id = r.id) <> 1
                   OR (SELECT COUNT(*) FROM report_objections x WHERE x.report_id = r.id) <> 1
                   OR NOT EXISTS (SELECT 1 FROM read_changes x WHERE x.entity = 'report' AND x.entity_id = r.id)
                """));
            Assert.Equal(stored.Count, c.ExecuteScalar<long>("SELECT COUNT(*) FROM idempotency_keys"));
        }
        finally
        {
            try { PgScript("stop", dir); } catch (InvalidOperationException) { }
            Npgsql.NpgsqlConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }

        async Task WaitFor(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Runs scripts/pg.sh; returns the connection line it prints.</summary>
    private static string PgScript(string command, string dir)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(Repo.Root, "scripts", "pg.sh"));
        info.ArgumentList.Add(command);
        info.ArgumentList.Add(dir);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg.sh {command} failed: {error}");
        return output.Trim();
    }
}
