using Dapper;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// A batch of repeatable jobs runs without per-job savepoints; when one of them fails the batch is rolled back and
/// run again with savepoints. Whatever path it takes, each succeeding job's writes are stored exactly once, the failing
/// job's writes not at all, and every task gets its own outcome.
/// </summary>
[Trait("Engine", "Sqlite")] // the SQLite writer's group commit and savepoints
public sealed class RepeatableBatchTests(TestApp app) : IClassFixture<TestApp>
{
    private Writer Writer => app.Services.GetRequiredService<Writer>();

    /// <summary>Holds the writer inside a job until released, so the jobs queued meanwhile form the next batch together.</summary>
    private async Task<(Task Held, TaskCompletionSource Release)> HoldWriter()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = Writer.ExecuteAsync((_, _) => { started.SetResult(); release.Task.Wait(); });
        await started.Task;
        return (held, release);
    }

    [Fact]
    public async Task A_failing_job_in_a_batch_of_repeatable_jobs_fails_alone()
    {
        await Writer.ExecuteAsync((c, t) => c.Execute("CREATE TABLE repeatable_rows (k TEXT PRIMARY KEY)", transaction: t));
        var runs = new int[10];
        var (held, release) = await HoldWriter();
        var jobs = Enumerable.Range(0, 10).Select(i => Writer.ExecuteRepeatableAsync((c, t) =>
        {
            Interlocked.Increment(ref runs[i]);
            c.Exec(t, "INSERT INTO repeatable_rows (k) VALUES (@k)", new { k = $"job-{i}" });
            if (i == 6) throw new InvalidOperationException("job 6 fails after its insert");
            return i;
        })).ToList();
        release.SetResult();
        await held;

        for (var i = 0; i < 10; i++)
        {
            if (i == 6) await Assert.ThrowsAsync<InvalidOperationException>(() => jobs[i]);
            else Assert.Equal(i, await jobs[i]);
        }
        using var db = app.OpenDb();
        Assert.Equal([.. Enumerable.Range(0, 10).Where(i => i != 6).Select(i => $"job-{i}").Order()],
            db.Query<string>("SELECT k FROM repeatable_rows ORDER BY k").ToArray());
        // Jobs 0-6 ran twice (the first pass stopped at job 6), jobs 7-9 once: proof the batch took the optimistic path.
        Assert.Equal([2, 2, 2, 2, 2, 2, 2, 1, 1, 1], runs);
    }

    [Fact]
    public async Task A_batch_of_repeatable_jobs_that_all_succeed_runs_each_once()
    {
        await Writer.ExecuteAsync((c, t) => c.Execute("CREATE TABLE repeatable_ok (k TEXT PRIMARY KEY)", transaction: t));
        var runs = 0;
        var (held, release) = await HoldWriter();
        var jobs = Enumerable.Range(0, 5).Select(i => Writer.ExecuteRepeatableAsync((c, t) =>
        {
            Interlocked.Increment(ref runs);
            return c.Exec(t, "INSERT INTO repeatable_ok (k) VALUES (@k)", new { k = $"ok-{i}" });
        })).ToList();
        release.SetResult();
        await held;
        Assert.All(await Task.WhenAll(jobs), changed => Assert.Equal(1, changed));
        Assert.Equal(5, runs);
        using var db = app.OpenDb();
        Assert.Equal(5, db.ExecuteScalar<int>("SELECT COUNT(*) FROM repeatable_ok"));
    }

    [Fact]
    public async Task A_batch_mixing_repeatable_and_other_jobs_runs_each_job_once_in_its_savepoint()
    {
        await Writer.ExecuteAsync((c, t) => c.Execute("CREATE TABLE repeatable_mixed (k TEXT PRIMARY KEY)", transaction: t));
        var runs = new int[4];
        var (held, release) = await HoldWriter();
        var jobs = new List<Task>
        {
            Writer.ExecuteRepeatableAsync((c, t) => { runs[0]++; return c.Exec(t, "INSERT INTO repeatable_mixed (k) VALUES ('a')"); }),
            Writer.ExecuteAsync((c, t) => { runs[1]++; c.Exec(t, "INSERT INTO repeatable_mixed (k) VALUES ('b')"); }),
            Writer.ExecuteRepeatableAsync<int>((c, t) => { runs[2]++; c.Exec(t, "INSERT INTO repeatable_mixed (k) VALUES ('c')"); throw new InvalidOperationException("c fails"); }),
            Writer.ExecuteRepeatableAsync((c, t) => { runs[3]++; return c.Exec(t, "INSERT INTO repeatable_mixed (k) VALUES ('d')"); }),
        };
        release.SetResult();
        await held;
        await jobs[0]; await jobs[1]; await jobs[3];
        await Assert.ThrowsAsync<InvalidOperationException>(() => jobs[2]);
        Assert.Equal([1, 1, 1, 1], runs);
        using var db = app.OpenDb();
        Assert.Equal(["a", "b", "d"], db.Query<string>("SELECT k FROM repeatable_mixed ORDER BY k").ToArray());
    }
}
