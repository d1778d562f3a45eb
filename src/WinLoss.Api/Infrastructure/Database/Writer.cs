using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>
/// The single writer (SQLite allows one at a time). Every state change runs here as a job on one
/// dedicated connection. Jobs that arrive together share one transaction (group commit): each job
/// runs inside its own SAVEPOINT, so a failing job is rolled back alone, and no job's task completes
/// before the shared COMMIT has returned (synchronous=FULL, WAL) — an acknowledged write is durable.
/// </summary>
public sealed class Writer : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly Db _db;
    private readonly ILogger<Writer> _logger;
    private readonly Channel<Job> _channel = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public Writer(Db db, ILogger<Writer> logger)
    {
        _db = db;
        _logger = logger;
        _loop = Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Runs <paramref name="work"/> in the writer's transaction; completes after the commit.</summary>
    public Task<T> ExecuteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var job = new Job<T>(work);
        if (!_channel.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(Writer));
        return job.Task;
    }

    public Task ExecuteAsync(Action<SqliteConnection, SqliteTransaction> work, CancellationToken cancellationToken = default) =>
        ExecuteAsync<bool>((c, t) => { work(c, t); return true; }, cancellationToken);

    private async Task Loop()
    {
        SqliteConnection? connection = null;
        var batch = new List<Job>(MaxBatch);
        var done = new List<Job>(MaxBatch);
        try
        {
            while (await _channel.Reader.WaitToReadAsync())
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _channel.Reader.TryRead(out var job)) batch.Add(job);
                if (batch.Count == 0) continue;
                try
                {
                    connection ??= OpenConnection();
                    RunBatch(connection, batch, done);
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Write batch of {Count} failed", batch.Count);
                    foreach (var job in batch) job.Fail(ex);
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>
    /// The writer's connection keeps its undo journals in memory (temp_store=MEMORY). Every job runs in a SAVEPOINT,
    /// and SQLite journals the original of each page a savepoint changes; with the default (a journal that spills to a
    /// temp file past 64 KiB, less than one filed report touches) every report cost ~40 write() calls to a file thrown
    /// away at commit: a quarter of the writer's CPU (strace and perf, README "Performance"). In memory the journal is
    /// bounded by the pages one job changes: ~80 KB for a report, ~150 MB for a read-model rebuild of 1M reports.
    /// </summary>
    private SqliteConnection OpenConnection()
    {
        var connection = _db.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA temp_store = MEMORY";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private static void RunBatch(SqliteConnection connection, List<Job> batch, List<Job> done)
    {
        done.Clear();
        var writeBatch = WriteBatch.Begin();
        try
        {
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                foreach (var job in batch)
                {
                    connection.Exec(transaction, "SAVEPOINT job");
                    try
                    {
                        job.Run(connection, transaction);
                        connection.Exec(transaction, "RELEASE job");
                        writeBatch.JobSucceeded();
                        done.Add(job);
                    }
                    catch (Exception ex)
                    {
                        connection.Exec(transaction, "ROLLBACK TO job");
                        connection.Exec(transaction, "RELEASE job");
                        writeBatch.JobFailed();
                        job.Fail(ex);
                    }
                }
                if (done.Count > 0)
                {
                    writeBatch.BeforeCommit(connection, transaction);
                    transaction.Commit();
                }
                else transaction.Rollback();
            }
        }
        finally
        {
            WriteBatch.End();
        }
        foreach (var job in done) job.Complete();
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop;
    }

    private abstract class Job
    {
        public abstract void Run(SqliteConnection connection, SqliteTransaction transaction);
        public abstract void Fail(Exception exception);
        public abstract void Complete();
    }

    private sealed class Job<T>(Func<SqliteConnection, SqliteTransaction, T> work) : Job
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        public Task<T> Task => _tcs.Task;
        public override void Run(SqliteConnection connection, SqliteTransaction transaction) => _result = work(connection, transaction);
        public override void Fail(Exception exception) => _tcs.TrySetException(exception);
        public override void Complete() => _tcs.TrySetResult(_result);
    }
}
