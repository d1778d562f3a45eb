using Dapper;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// The writer commits without waiting for the disk (synchronous=NORMAL) and a sync thread flushes the WAL; a job's
/// task completes only after a flush that follows its COMMIT. (That acknowledged reports survive kill -9 of the real
/// process is tested in the durability test of the reports.)
/// </summary>
[Trait("Engine", "Sqlite")]
public sealed class WriterDurabilityTests(TestApp app) : IClassFixture<TestApp>
{
    private Writer Writer => app.Services.GetRequiredService<Writer>();

    [Fact]
    public async Task The_writer_commits_without_syncing_and_leaves_the_flush_to_its_sync_thread()
    {
        // 1 = NORMAL on the writer (no fsync inside COMMIT); readers keep the default FULL (2) of the connection factory.
        Assert.Equal(1, await Writer.ExecuteAsync((c, t) => c.ExecuteScalar<long>("PRAGMA synchronous", transaction: t)));
        using var reader = app.OpenDb();
        Assert.Equal(2, reader.ExecuteScalar<long>("PRAGMA synchronous"));
    }

    [Fact]
    public async Task Every_acknowledged_job_was_flushed_to_disk_after_its_commit()
    {
        await Writer.ExecuteAsync((c, t) => c.Execute("CREATE TABLE durable_rows (n INTEGER)", transaction: t));
        for (var i = 0; i < 20; i++)
        {
            var before = Writer.Syncs;
            await Writer.ExecuteAsync((c, t) => c.Exec(t, "INSERT INTO durable_rows (n) VALUES (@i)", new { i }));
            Assert.True(Writer.Syncs > before, $"job {i} completed before a WAL flush that followed its commit");
        }

        // Concurrent jobs share batches and flushes, and each still waits for one.
        var flushesBefore = Writer.Syncs;
        await Task.WhenAll(Enumerable.Range(100, 50).Select(i =>
            Writer.ExecuteAsync((c, t) => c.Exec(t, "INSERT INTO durable_rows (n) VALUES (@i)", new { i }))));
        Assert.InRange(Writer.Syncs - flushesBefore, 1, 50);
        using var db = app.OpenDb();
        Assert.Equal(70, db.ExecuteScalar<int>("SELECT COUNT(*) FROM durable_rows"));
    }
}
