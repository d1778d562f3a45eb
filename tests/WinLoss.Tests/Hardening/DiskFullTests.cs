using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using WinLoss.Tests.Imports;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Hardening;

/// <summary>
/// Issue 17 items 2 and 10 under a real fault: the service runs as its own process with its database on a 64 MB tmpfs,
/// and the test fills that file system. Writes are answered 503 problem+json with Retry-After, readiness fails while
/// writes cannot succeed, and both recover without a restart once space is freed. An import the disk fills up midway
/// answers with exactly what it stored (the audit entry says the same), and the same file sent again completes it.
/// Needs root (mount); skipped otherwise.
/// </summary>
[Trait("Engine", "Sqlite")]
[Trait("Tier", "Process")]
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly string _mount = Path.Combine(Path.GetTempPath(), "winloss-diskfull", Guid.NewGuid().ToString("N"));
    private bool _mounted;
    private ServiceProcess? _service;
    private string Filler => Path.Combine(_mount, "filler.bin");
    private string DbPath => Path.Combine(_mount, "winloss.db");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_mount);
        _mounted = Run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", _mount) == 0;
        if (_mounted) _service = await ServiceProcess.StartAsync(DbPath);
    }

    public async ValueTask DisposeAsync()
    {
        if (_service is not null) await _service.DisposeAsync();
        if (_mounted) Run("umount", "-l", _mount);
        try { Directory.Delete(_mount, recursive: true); } catch (IOException) { }
    }

    private static int Run(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            p.WaitForExit(10_000);
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }

    /// <summary>Fills the file system, leaving about <paramref name="leave"/> bytes free.</summary>
    private void Fill(long leave = 0)
    {
        var free = new DriveInfo(_mount).AvailableFreeSpace;
        using var file = new FileStream(Filler, FileMode.Append, FileAccess.Write);
        var chunk = new byte[64 * 1024];
        var toWrite = Math.Max(0, free - leave);
        try
        {
            while (toWrite > 0)
            {
                var n = (int)Math.Min(chunk.Length, toWrite);
                file.Write(chunk, 0, n);
                toWrite -= n;
            }
            file.Flush(true);
        }
        catch (IOException) { } // full
    }

    private long Count(string sql, object? args = null)
    {
        using var db = new SqliteConnection($"Data Source={DbPath};Mode=ReadOnly;Pooling=False");
        db.Open();
        return db.ExecuteScalar<long>(sql, args);
    }

    private static async Task<HttpStatusCode> WaitReady(HttpClient client, HttpStatusCode want)
    {
        var status = HttpStatusCode.OK;
        for (var i = 0; i < 50; i++)
        {
            status = (await client.GetAsync("/health/ready")).StatusCode;
            if (status == want) break;
            await Task.Delay(100);
        }
        return status;
    }

    [Fact]
    public async Task Disk_full_is_503_with_retry_after_readiness_fails_and_both_recover_without_restart()
    {
        if (!_mounted) Assert.Skip("needs root to mount a tmpfs");
        using var client = _service!.Client();
        Assert.Equal(HttpStatusCode.Created, (await client.PostReport(Http.Report("DF-before"))).StatusCode);

        Fill();
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 20 && (responses.Count == 0 || responses[^1].StatusCode == HttpStatusCode.Created); i++)
            responses.Add(await client.PostReport(Http.Report($"DF-full-{i}", b => b["notes"] = new string('n', 3000)), idempotencyKey: $"DF-full-{i}"));
        var refused = responses[^1];

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(refused.Headers.RetryAfter);
        var problem = await refused.ReadJson();
        Assert.Equal("Storage full", problem["title"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await WaitReady(client, HttpStatusCode.ServiceUnavailable));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var lastDeal = $"DF-full-{responses.Count - 1}";
        Assert.Equal(0, Count("SELECT COUNT(*) FROM reports WHERE deal_id = @lastDeal", new { lastDeal }));
        // Reads still work while the disk is full.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/reports?limit=5")).StatusCode);

        File.Delete(Filler);

        Assert.Equal(HttpStatusCode.OK, await WaitReady(client, HttpStatusCode.OK));
        var retried = await client.PostReport(Http.Report(lastDeal, b => b["notes"] = new string('n', 3000)), idempotencyKey: lastDeal);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(1, Count("SELECT COUNT(*) FROM reports WHERE deal_id = @lastDeal", new { lastDeal }));
    }

    [Fact]
    public async Task An_import_the_disk_fills_midway_answers_what_it_stored_and_the_same_file_again_completes_it()
    {
        if (!_mounted) Assert.Skip("needs root to mount a tmpfs");
        using var client = _service!.Client();
        client.Timeout = TimeSpan.FromMinutes(3);
        const string mapping = """
            {"dealId":"Id","outcome":{"column":"Stage","values":{"Won":"won","Lost":"lost"}},"closedOn":"Closed","amount":"Amount",
             "currency":{"value":"USD"},"rep":"Owner","notes":"Notes"}
            """;
        var csv = new StringBuilder("Id,Stage,Closed,Amount,Owner,Notes\n");
        for (var i = 0; i < 20_000; i++) csv.Append($"IMP-{i},{(i % 3 == 0 ? "Lost" : "Won")},2025-0{1 + i % 9}-1{i % 10},{1000 + i},Rep {i % 7},{new string('z', 40)}\n");
        var bytes = Encoding.UTF8.GetBytes(csv.ToString());

        Fill(leave: 2 * 1024 * 1024);
        var failed = await client.PostAsync("/api/v1/imports/crm", ImportHttp.Form(mapping, bytes, []));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.NotNull(failed.Headers.RetryAfter);
        var problem = await failed.ReadJson();
        var stored = Count("SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'IMP-%'");
        Assert.True(stored is > 0 and < 20_000, $"{stored} stored: the disk should fill midway");
        Assert.Equal(stored, problem["imported"]!["created"]!.GetValue<long>());
        using (var db = new SqliteConnection($"Data Source={DbPath};Mode=ReadOnly;Pooling=False"))
        {
            db.Open();
            var audit = JsonNode.Parse(db.ExecuteScalar<string>(
                "SELECT details FROM audit_log WHERE id = @id", new { id = problem["auditId"]!.GetValue<long>() })!)!;
            Assert.Equal((stored, false), (audit["created"]!.GetValue<long>(), audit["completed"]!.GetValue<bool>()));
        }

        File.Delete(Filler);
        Assert.Equal(HttpStatusCode.OK, await WaitReady(client, HttpStatusCode.OK));
        var again = await client.PostAsync("/api/v1/imports/crm", ImportHttp.Form(mapping, bytes, []));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var result = await again.ReadJson();
        Assert.Equal((20_000 - stored, stored), (result["created"]!.GetValue<long>(), result["unchanged"]!.GetValue<long>()));
        Assert.Equal(20_000, Count("SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'IMP-%'"));
    }
}
