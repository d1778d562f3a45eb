using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using Microsoft.Data.Sqlite;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>
/// Runs every state change as a job: <c>(connection, transaction) =&gt; …</c>, the same code on either engine.
/// <para>
/// PostgreSQL: each job is an ordinary transaction on a pooled connection, at SERIALIZABLE isolation, so the outcome is
/// that of some one-at-a-time order of all jobs of all instances — the guarantee the single SQLite writer gives — and
/// the invariants the handlers check (one live report per deal, idempotency keys, If-Match versions, re-attribution)
/// hold across instances without each handler locking rows itself. A job that loses a conflict (serialization
/// failure, deadlock) runs again after a random backoff; after <see cref="ConcurrentAttempts"/> tries it runs alone (an
/// exclusive advisory lock that every write transaction otherwise holds shared), so every job finishes. Every job must
/// be safe to run twice (its effects are its SQL; what it captures it recomputes). The server batches concurrent commits itself.
/// </para>
/// <para>SQLite: the single writer (SQLite allows one at a time). Every state change runs here as a job on one
/// dedicated connection. Jobs that arrive together share one transaction (group commit): each job
/// runs inside its own SAVEPOINT, so a failing job is rolled back alone.
/// A batch made only of repeatable jobs (<see cref="ExecuteRepeatableAsync{T}"/>) first runs without savepoints;
/// if one of its jobs fails, the whole batch is rolled back and runs again, each job in its own savepoint.
/// </para>
/// <para>
/// SQLite durability: no job's task completes before the WAL holding its batch's COMMIT has been flushed to disk (fsync),
/// so an acknowledged write survives a process kill and a power loss. The flush runs on its own thread
/// (<see cref="SyncLoop"/>) while the writer goes on with the next batch: the writer's connection commits with
/// synchronous=NORMAL (SQLite then syncs only around checkpoints) and one fsync covers every batch committed before
/// it. The price: another connection may read a batch in the ~1 ms between its COMMIT and its fsync; a power loss in
/// that window loses it, and no client was told it was stored.
/// </para>
/// </summary>
public sealed class Writer : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly Db _db;
    private readonly ILogger<Writer> _logger;
    private readonly Channel<Job> _channel = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly BlockingCollection<Committed> _committed = new();
    private readonly TaskCompletionSource _syncDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _syncs;

    /// <summary>The jobs of one committed batch and the WAL file their COMMIT went to.</summary>
    private sealed record Committed(Job[] Jobs, SafeFileHandle Wal);

    /// <summary>How often a PostgreSQL job runs alongside others before it runs alone (<see cref="RunOnPostgreSqlAsync{T}"/>).</summary>
    public const int ConcurrentAttempts = 3;

    /// <summary>How often a PostgreSQL job runs at most before its serialization failure is answered 503 (only a job that
    /// conflicts with a non-writer transaction can get that far).</summary>
    public const int MaxAttempts = 6;

    /// <summary>The advisory lock that write transactions hold shared and a job that runs alone holds exclusively ("WLWrite").</summary>
    public const long WriteLockKey = 0x574C5772697465;

    private readonly SemaphoreSlim? _postgresSlots;

    public Writer(Db db, ILogger<Writer> logger)
    {
        _db = db;
        _logger = logger;
        if (db.IsPostgreSql)
        {
            // Bounds this instance's concurrent write transactions (and so its connections and the conflicts between them).
            // Four: more only adds conflicts between concurrent jobs (scripts/bench.sh intake-pg: 4 gave more filings/s than 8).
            _postgresSlots = new SemaphoreSlim(4, 4);
            _loopDone.SetResult();
            _syncDone.SetResult();
            return;
        }
        new Thread(SyncLoop) { IsBackground = true, Name = "WinLoss WAL sync" }.Start();
        new Thread(Loop) { IsBackground = true, Name = "WinLoss writer" }.Start();
    }

    /// <summary>How many times the WAL has been flushed to disk (each flush acknowledges the batches committed before it).</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>Runs <paramref name="work"/> in the writer's transaction; completes once its COMMIT is flushed to disk.</summary>
    public Task<T> ExecuteAsync<T>(Func<DbConnection, DbTransaction, T> work, CancellationToken cancellationToken = default) =>
        Enqueue(work, repeatable: false, cancellationToken);

    /// <summary>
    /// As <see cref="ExecuteAsync{T}"/>, for a job whose only effects are its SQL and what it stages in the
    /// database (no captured state it changes, nothing sent elsewhere): the writer may run it twice,
    /// and in exchange runs batches of such jobs without a savepoint per job — each savepoint makes SQLite copy every
    /// page the job changes first (~20 for a filed report) into its undo journal.
    /// </summary>
    public Task<T> ExecuteRepeatableAsync<T>(Func<DbConnection, DbTransaction, T> work, CancellationToken cancellationToken = default) =>
        Enqueue(work, repeatable: true, cancellationToken);

    private Task<T> Enqueue<T>(Func<DbConnection, DbTransaction, T> work, bool repeatable, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_postgresSlots is not null) return RunOnPostgreSqlAsync(work);
        var job = new Job<T>(work, repeatable);
        if (!_channel.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(Writer));
        return job.Task;
    }

    private async Task<T> RunOnPostgreSqlAsync<T>(Func<DbConnection, DbTransaction, T> work)
    {
        // Not cancellable once queued, as on SQLite: a job whose client went away still commits or fails as a whole.
        await _postgresSlots!.WaitAsync();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var alone = attempt > ConcurrentAttempts;
                await using var connection = await _db.OpenAsync();
                // A job that kept losing runs alone: it waits until every write transaction in flight (of every instance)
                // has ended and holds back new ones until it commits, so nothing can conflict with it. The session lock
                // is taken before BEGIN so that the transaction's snapshot comes after the others' commits.
                if (alone) await LockAsync(connection, $"SELECT pg_advisory_lock({WriteLockKey})");
                try
                {
                    await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable);
                    try
                    {
                        if (!alone) await LockAsync(connection, $"SELECT pg_advisory_xact_lock_shared({WriteLockKey})", transaction);
                        var result = work(connection, transaction);
                        await transaction.CommitAsync();
                        return result;
                    }
                    catch (Exception ex) when (Dialect.IsRetryable(ex) && attempt < MaxAttempts)
                    {
                        _logger.LogDebug("Write conflict (attempt {Attempt}): running the job again", attempt);
                    }
                }
                finally
                {
                    // A broken connection releases the session lock itself; its error must not replace the job's.
                    if (alone)
                        try { await LockAsync(connection, $"SELECT pg_advisory_unlock({WriteLockKey})"); }
                        catch (DbException ex) { _logger.LogDebug(ex, "Releasing the write lock failed; the session's end releases it"); }
                }
                // Exponential backoff with full jitter: colliding jobs spread out instead of colliding again.
                await Task.Delay(Random.Shared.Next(1, 4 << attempt));
            }
        }
        finally
        {
            _postgresSlots.Release();
        }
    }

    private static async Task LockAsync(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.CommandTimeout = 0; // waits for the transactions in flight, however long they take
        await command.ExecuteNonQueryAsync();
    }

    public Task ExecuteAsync(Action<DbConnection, DbTransaction> work, CancellationToken cancellationToken = default) =>
        ExecuteAsync<bool>((c, t) => { work(c, t); return true; }, cancellationToken);

    private void Loop()
    {
        SqliteConnection? connection = null;
        SafeFileHandle? wal = null;
        var batch = new List<Job>(MaxBatch);
        var done = new List<Job>(MaxBatch);
        try
        {
            while (WaitToRead())
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _channel.Reader.TryRead(out var job)) batch.Add(job);
                if (batch.Count == 0) continue;
                try
                {
                    connection ??= OpenConnection();
                    RunBatch(connection, batch, done);
                    if (done.Count == 0) continue;
                    // After the first COMMIT on this connection its WAL file surely exists.
                    wal ??= File.OpenHandle(_db.Path! + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                    _committed.Add(new Committed([.. done], wal));
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Write batch of {Count} failed", batch.Count);
                    foreach (var job in batch) job.Fail(ex);
                    connection?.Dispose();
                    connection = null;
                    wal = null; // the sync thread closes it once it has flushed what was committed to it
                }
            }
        }
        finally
        {
            connection?.Dispose();
            _committed.CompleteAdding();
            _loopDone.TrySetResult();
        }
    }

    /// <summary>Blocks the writer thread until a job is queued; false once the queue is closed and empty.</summary>
    private bool WaitToRead()
    {
        var wait = _channel.Reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Flushes the WAL and then completes the tasks of the batches committed before the flush. Takes everything
    /// committed meanwhile at once: while one fsync runs, the writer commits the next batches, and the next fsync
    /// acknowledges them together.
    /// </summary>
    private void SyncLoop()
    {
        var pending = new List<Committed>();
        SafeFileHandle? current = null;
        try
        {
            while (!_committed.IsCompleted)
            {
                pending.Clear();
                if (!_committed.TryTake(out var first, Timeout.Infinite)) continue;
                pending.Add(first);
                while (_committed.TryTake(out var more)) pending.Add(more);

                Exception? failure = null;
                foreach (var wal in pending.Select(p => p.Wal).Distinct())
                {
                    try
                    {
                        RandomAccess.FlushToDisk(wal);
                    }
                    catch (Exception ex)
                    {
                        _logger.LogCritical(ex, "Flushing the WAL to disk failed; the writes of {Count} batches are not confirmed", pending.Count);
                        failure = ex;
                    }
                }
                Interlocked.Increment(ref _syncs);
                foreach (var batch in pending)
                    foreach (var job in batch.Jobs)
                        if (failure is null) job.Complete();
                        else job.Fail(new IOException("The write was committed but could not be flushed to disk.", failure));

                // A replaced connection's WAL handle is closed once everything committed to it has been flushed.
                foreach (var wal in pending.Select(p => p.Wal).Prepend(current).Distinct())
                    if (wal is not null && wal != pending[^1].Wal) wal.Dispose();
                current = pending[^1].Wal;
            }
        }
        finally
        {
            current?.Dispose();
            _syncDone.TrySetResult();
        }
    }

    /// <summary>
    /// The writer's connection keeps its undo journals in memory (temp_store=MEMORY). Every job runs in a SAVEPOINT,
    /// and SQLite journals the original of each page a savepoint changes; with the default (a journal that spills to a
    /// temp file past 64 KiB, less than one filed report touches) every report paid write() calls to a file thrown away
    /// at commit (docs/performance.md, "Where the time goes"). In memory the journal is bounded by the pages one job
    /// changes.
    /// </summary>
    private SqliteConnection OpenConnection()
    {
        var connection = (SqliteConnection)_db.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA temp_store = MEMORY; PRAGMA synchronous = NORMAL"; // the sync thread flushes each commit
        pragma.ExecuteNonQuery();
        return connection;
    }

    private static void RunBatch(SqliteConnection connection, List<Job> batch, List<Job> done)
    {
        if (batch.TrueForAll(job => job.Repeatable) && Run(connection, batch, done, savepoints: false)) return;
        Run(connection, batch, done, savepoints: true);
    }

    /// <summary>
    /// Runs the batch in one transaction; <paramref name="done"/> holds the jobs that succeeded and were committed. With
    /// savepoints a failing job is rolled back alone and fails; without, the first failure rolls back the whole
    /// batch, completes nothing and returns false (the caller runs the batch again with savepoints).
    /// </summary>
    private static bool Run(SqliteConnection connection, List<Job> batch, List<Job> done, bool savepoints)
    {
        done.Clear();
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var job in batch)
        {
            if (savepoints) connection.Exec(transaction, "SAVEPOINT job");
            try
            {
                job.Run(connection, transaction);
                if (savepoints) connection.Exec(transaction, "RELEASE job");
            }
            catch (Exception ex)
            {
                if (!savepoints)
                {
                    transaction.Rollback();
                    return false;
                }
                connection.Exec(transaction, "ROLLBACK TO job");
                connection.Exec(transaction, "RELEASE job");
                job.Fail(ex);
                continue;
            }
            done.Add(job);
        }
        if (done.Count > 0) transaction.Commit();
        else transaction.Rollback();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loopDone.Task;
        await _syncDone.Task;
        _committed.Dispose();
    }

    private abstract class Job(bool repeatable)
    {
        public bool Repeatable { get; } = repeatable;
        public abstract void Run(DbConnection connection, DbTransaction transaction);
        public abstract void Fail(Exception exception);
        public abstract void Complete();
    }

    private sealed class Job<T>(Func<DbConnection, DbTransaction, T> work, bool repeatable) : Job(repeatable)
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        public Task<T> Task => _tcs.Task;
        public override void Run(DbConnection connection, DbTransaction transaction) => _result = work(connection, transaction);
        public override void Fail(Exception exception) => _tcs.TrySetException(exception);
        public override void Complete() => _tcs.TrySetResult(_result);
    }
}
