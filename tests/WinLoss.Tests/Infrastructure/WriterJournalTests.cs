using Dapper;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// Writer jobs run in savepoints whose undo journal the writer keeps in memory (temp_store=MEMORY). Small and
/// very large jobs must keep the job semantics: a failing job leaves nothing, a succeeding one keeps everything,
/// and the other jobs of the batch are unaffected.
/// </summary>
[Trait("Engine", "Sqlite")]
public sealed class WriterJournalTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task The_writer_keeps_its_journals_in_memory()
    {
        // 2 = MEMORY. With the default (a file past 64 KiB) every filed report wrote ~20 pages to a temp file.
        var mode = await app.Services.GetRequiredService<Writer>().ExecuteAsync((c, t) => c.ExecuteScalar<long>("PRAGMA temp_store", transaction: t));
        Assert.Equal(2, mode);
    }

    [Theory]
    [InlineData(5)]      // a few pages
    [InlineData(4000)]   // hundreds of pages, far beyond SQLite's default 64 KiB in-memory journal
    public async Task A_job_that_fails_after_rewriting_many_pages_leaves_them_as_they_were(int rows)
    {
        var writer = app.Services.GetRequiredService<Writer>();
        var table = $"journal_{rows}";
        await writer.ExecuteAsync((c, t) =>
        {
            c.Execute($"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", transaction: t);
            c.Execute($"CREATE INDEX ix_{table} ON {table} (v)", transaction: t);
            for (var i = 1; i <= rows; i++) c.Execute($"INSERT INTO {table} (v) VALUES (@v)", new { v = $"original-{i:D6}-{new string('x', 300)}" }, t);
        });

        // Batched together: a job that rewrites every row and then fails, between two that succeed.
        var before = writer.ExecuteAsync((c, t) => c.Execute($"INSERT INTO {table} (v) VALUES ('before')", transaction: t));
        var failing = writer.ExecuteAsync((c, t) =>
        {
            c.Execute($"UPDATE {table} SET v = 'changed-' || id || '-' || v", transaction: t);
            throw new InvalidOperationException("fails after rewriting every page");
        });
        var after = writer.ExecuteAsync((c, t) => c.Execute($"INSERT INTO {table} (v) VALUES ('after')", transaction: t));
        await before;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await after;

        using var db = app.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<int>($"SELECT COUNT(*) FROM {table} WHERE v LIKE 'changed-%'"));
        Assert.Equal(rows, db.ExecuteScalar<int>($"SELECT COUNT(*) FROM {table} WHERE v LIKE 'original-%'"));
        Assert.Equal(1, db.ExecuteScalar<int>($"SELECT COUNT(*) FROM {table} WHERE v = 'before'"));
        Assert.Equal(1, db.ExecuteScalar<int>($"SELECT COUNT(*) FROM {table} WHERE v = 'after'"));
        Assert.Equal("ok", db.ExecuteScalar<string>("PRAGMA integrity_check"));

        // And the same rewrite in a job that succeeds is kept in full.
        await writer.ExecuteAsync((c, t) => c.Execute($"UPDATE {table} SET v = 'changed-' || id || '-' || v WHERE v LIKE 'original-%'", transaction: t));
        Assert.Equal(rows, db.ExecuteScalar<int>($"SELECT COUNT(*) FROM {table} WHERE v LIKE 'changed-%'"));
    }
}
