using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using DuckDB.NET.Data;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Infrastructure.ReadSide;

/// <summary>
/// The read side: every <see cref="Projection"/> kept in an in-process DuckDB database (in memory, columnar, compressed), fed by
/// the change log of the write store (<see cref="ChangeLog"/>), saved to a snapshot file beside the database so a
/// restart loads it and replays only the changes since (docs/architecture.md "Read side").
/// <para>
/// Position: the seq of the last change applied, stored in the projection itself (table read_position) and so
/// saved and loaded with it. Applying is serialised (one projector); queries run on their own connections and see
/// the last committed state (DuckDB's MVCC), never a half-applied batch.
/// </para>
/// </summary>
public sealed class ReadStore : IDisposable
{
    /// <summary>Bumped when the way projections are built changes without their DDL changing.</summary>
    private const int Version = 1;
    private const int ChangesPerBatch = 20_000;
    private const string PositionTable = "read_position";

    /// <summary>
    /// The projection's database: in memory, compressed (DuckDB stores plain in-memory tables uncompressed; compressed
    /// columns scan several times faster and take a fraction of the memory). Rows are compressed at each checkpoint:
    /// after a rebuild or load, and automatically as changes accumulate.
    /// </summary>
    private const string Catalog = "readside";

    private readonly Db _db;
    private readonly IReadOnlyList<Projection> _projections;
    private readonly ILogger<ReadStore> _logger;
    private readonly int? _threads; // WINLOSS_READSIDE_THREADS: DuckDB threads per query (null: one per core)
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _snapshotLock = new();
    private readonly SemaphoreSlim _nudge = new(0, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DuckDBConnection? _root;
    private DuckDBConnection? _writer;
    private long _position;
    private string? _asOf;
    private string? _feedSnapshot;
    private long _tickets;
    private long _served;
    private long _savedPosition = -1;
    private string _state = "starting";

    public ReadStore(Db db, IEnumerable<Projection> projections, ILogger<ReadStore> logger,
        Microsoft.Extensions.Options.IOptions<Options.WinLossOptions> options)
    {
        _threads = options.Value.ReadSideThreads;
        _db = db;
        _projections = projections.ToList();
        _logger = logger;
        SnapshotPath = db.ReadSideSnapshotPath;
        SchemaHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            Version + "\n" + string.Join("\n", _projections.OrderBy(p => p.Entity, StringComparer.Ordinal).Select(p => p.Entity + "\n" + p.Schema)))))[..16];
    }

    /// <summary>The snapshot file (a DuckDB database) saved beside the write store.</summary>
    public string SnapshotPath { get; }

    public string SchemaHash { get; }

    /// <summary>True once the projection is loaded or rebuilt and caught up at start.</summary>
    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>What the read side is doing: starting, loading, rebuilding (n reports), ready.</summary>
    public string State => _state;

    /// <summary>Seq of the last change applied.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>When the last applied change was written (ISO 8601 UTC); null before any change.</summary>
    public string? AsOf => Volatile.Read(ref _asOf);

    /// <summary>
    /// PostgreSQL: the snapshot (pg_snapshot text) the last pass read the change log in. Changes above the watermark
    /// (<see cref="Position"/>) that it saw are applied already; null on SQLite and until the first pass after a load.
    /// </summary>
    public string? FeedSnapshot => Volatile.Read(ref _feedSnapshot);

    /// <summary>
    /// A connection for queries (dispose it when done), after applying every change committed so far — whoever wrote it,
    /// this process or another — so an answer never lags a write that finished before the question. Waits up to 10 s for
    /// the first load; after that the read side answers 503 with Retry-After while it is still being built.
    /// </summary>
    public async Task<DuckDBConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (!IsReady)
        {
            var waited = await Task.WhenAny(_ready.Task, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
            if (waited != _ready.Task || !IsReady) throw new ReadSideUnavailableException(_state);
        }
        await CatchUpAsync();
        return Open(Volatile.Read(ref _root)!);
    }

    /// <summary>A new connection to the database of <paramref name="root"/>, its default catalog the projection's.</summary>
    private static DuckDBConnection Open(DuckDBConnection root)
    {
        var connection = root.Duplicate();
        connection.Open();
        connection.Execute($"USE {Catalog}");
        return connection;
    }

    // ------------------------------------------------------------------ start

    /// <summary>Loads the snapshot (or rebuilds when it is missing, damaged, of another schema or unusable) and catches up.</summary>
    public void Initialize()
    {
        _gate.Wait();
        try
        {
            var clock = Stopwatch.StartNew();
            _state = "loading";
            if (!TryLoadSnapshot()) RebuildCore("no usable snapshot");
            CatchUpCore();
            _state = "ready";
            _logger.LogInformation("Read side ready at change {Position} in {Seconds:F1} s", _position, clock.Elapsed.TotalSeconds);
            _ready.TrySetResult();
        }
        catch (Exception ex)
        {
            _state = "failed";
            _logger.LogCritical(ex, "The read side could not be loaded or rebuilt");
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool TryLoadSnapshot()
    {
        if (!File.Exists(SnapshotPath))
        {
            _logger.LogInformation("No read-side snapshot at {Path}", SnapshotPath);
            return false;
        }
        var fresh = NewDatabase();
        try
        {
            fresh.Execute($"ATTACH '{Quote(SnapshotPath)}' AS snap (READ_ONLY)");
            try
            {
                var saved = fresh.QuerySingle<(long Seq, string? ChangedAt, string Schema)>($"SELECT seq, changed_at, schema_hash FROM snap.main.{PositionTable}");
                if (saved.Schema != SchemaHash)
                {
                    _logger.LogInformation("Read-side snapshot was built for another schema ({Saved} vs {Current}): rebuilding", saved.Schema, SchemaHash);
                    return false;
                }
                using (var source = _db.Open())
                {
                    var max = source.ExecuteScalar<long>(_db.Dialect.FeedMaxPositionSql);
                    var pruned = source.ExecuteScalar<long>("SELECT pruned_through FROM read_changes_pruned");
                    if (saved.Seq > max)
                    {
                        _logger.LogWarning("Read-side snapshot is ahead of the write store (change {Saved} > {Max}): rebuilding", saved.Seq, max);
                        return false;
                    }
                    if (saved.Seq < pruned)
                    {
                        _logger.LogInformation("Read-side snapshot (change {Saved}) is older than the kept change log (from {Pruned}): rebuilding", saved.Seq, pruned);
                        return false;
                    }
                }
                var tables = fresh.Query<string>($"SELECT table_name FROM duckdb_tables() WHERE database_name = '{Catalog}' AND schema_name = 'main'").ToList();
                using (var transaction = fresh.BeginTransaction())
                {
                    foreach (var table in tables)
                        fresh.Execute($"INSERT INTO {Catalog}.main.{table} SELECT * FROM snap.main.{table}", transaction: transaction);
                    transaction.Commit();
                }
                fresh.Execute($"CHECKPOINT {Catalog}");
                Swap(fresh, saved.Seq, saved.ChangedAt);
                _logger.LogInformation("Read side loaded from {Path} at change {Position}", SnapshotPath, saved.Seq);
                fresh = null;
                return true;
            }
            finally
            {
                if (fresh is not null) try { fresh.Execute("DETACH snap"); } catch (DuckDBException) { }
                else try { using var c = Volatile.Read(ref _root)!.Duplicate(); c.Open(); c.Execute("DETACH snap"); } catch (DuckDBException) { }
            }
        }
        catch (Exception ex) when (ex is DuckDBException or InvalidOperationException or IOException)
        {
            _logger.LogWarning(ex, "Read-side snapshot {Path} is damaged or unreadable: rebuilding", SnapshotPath);
            return false;
        }
        finally
        {
            fresh?.Dispose();
        }
    }

    // ------------------------------------------------------------------ catch-up

    /// <summary>Wakes the background projector (a command committed something); cheap and never blocks.</summary>
    public void Nudge()
    {
        if (_nudge.CurrentCount == 0)
        {
            try { _nudge.Release(); }
            catch (SemaphoreFullException) { } // another caller woke it at the same moment
        }
    }

    /// <summary>Waits until <see cref="Nudge"/> is called (true) or <paramref name="timeout"/> passes (false).</summary>
    public Task<bool> WaitForNudgeAsync(TimeSpan timeout, CancellationToken cancellationToken) => _nudge.WaitAsync(timeout, cancellationToken);

    /// <summary>
    /// Applies every change committed before this call (read-your-writes: call it after a write was acknowledged by the
    /// writer). Concurrent callers share one pass: a pass that started after a caller arrived covers it.
    /// </summary>
    public async Task CatchUpAsync()
    {
        if (!IsReady) return; // the start-up load catches up when it finishes
        var ticket = Interlocked.Increment(ref _tickets);
        await _gate.WaitAsync();
        try
        {
            if (Interlocked.Read(ref _served) >= ticket) return;
            var covering = Interlocked.Read(ref _tickets);
            CatchUpCore();
            Interlocked.Exchange(ref _served, covering);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void CatchUpCore()
    {
        var dialect = _db.Dialect;
        while (true)
        {
            using var source = _db.Open();
            using var sourceTransaction = dialect.BeginSnapshot(source);
            var pruned = source.ExecuteScalar<long>("SELECT pruned_through FROM read_changes_pruned", transaction: sourceTransaction);
            if (_position < pruned)
            {
                sourceTransaction.Rollback();
                RebuildCore($"the change log was pruned past this projection's position ({_position} < {pruned})");
                continue;
            }
            var changes = source.Query<(long Seq, string Entity, long Id, string ChangedAt)>(
                dialect.FeedChangesSql, new { position = _position, limit = ChangesPerBatch }, sourceTransaction).ToList();
            // SQLite: the last change's seq. PostgreSQL: the watermark of this snapshot, and the snapshot (Dialect, "PostgreSqlDialect").
            var (next, snapshot) = (changes.Count > 0 ? changes[^1].Seq : _position, (string?)null);
            if (dialect.FeedNextPositionSql is { } nextSql)
            {
                var (watermark, seen) = source.QuerySingle<(long, string)>(nextSql, transaction: sourceTransaction);
                (next, snapshot) = (Math.Max(_position, watermark), seen);
            }
            if (changes.Count == 0 && next == _position)
            {
                Volatile.Write(ref _feedSnapshot, snapshot);
                return;
            }

            var writer = _writer!;
            using (var target = writer.BeginTransaction())
            {
                foreach (var projection in _projections)
                {
                    var ids = changes.Where(c => c.Entity == projection.Entity).Select(c => c.Id).Distinct().ToList();
                    if (ids.Count > 0) projection.Replace(source, sourceTransaction, writer, ids);
                }
                var at = changes.Count > 0 ? changes[^1].ChangedAt : _asOf;
                writer.Execute($"UPDATE {PositionTable} SET seq = $seq, changed_at = $at", new { seq = next, at }, target);
                target.Commit();
                Interlocked.Exchange(ref _position, next);
                Volatile.Write(ref _asOf, at);
                Volatile.Write(ref _feedSnapshot, snapshot);
            }
            if (dialect.FeedNextPositionSql is not null || changes.Count < ChangesPerBatch) return;
        }
    }

    // ------------------------------------------------------------------ rebuild

    public sealed record RebuildResult(IReadOnlyDictionary<string, long> Counts, long Position, double Seconds);

    /// <summary>Rebuilds every projection from the write store; queries keep answering from the old one meanwhile.</summary>
    public async Task<RebuildResult> RebuildAsync(string reason)
    {
        await _gate.WaitAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            var counts = RebuildCore(reason);
            CatchUpCore();
            if (!_ready.Task.IsCompleted) { _state = "ready"; _ready.TrySetResult(); }
            return new RebuildResult(counts, _position, Math.Round(clock.Elapsed.TotalSeconds, 3));
        }
        finally
        {
            _gate.Release();
        }
    }

    private Dictionary<string, long> RebuildCore(string reason)
    {
        _logger.LogInformation("Rebuilding the read side from the write store: {Reason}", reason);
        var clock = Stopwatch.StartNew();
        var fresh = NewDatabase();
        try
        {
            using var source = _db.Open();
            using var sourceTransaction = _db.Dialect.BeginSnapshot(source);
            // The first read fixes the snapshot: the projection holds every change at or below this position (and on
            // PostgreSQL maybe a few above it, which catching up applies again harmlessly).
            var (position, changedAt) = source.QuerySingle<(long, string?)>(_db.Dialect.FeedHeadSql, transaction: sourceTransaction);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var projection in _projections)
            {
                var lastLogged = Stopwatch.StartNew();
                // No transaction: the fresh database is no one's until Swap, and outside one a projection can checkpoint
                // between its steps, compressing what it loaded (the rebuild's peak memory stays near the compressed size).
                var count = projection.Rebuild(source, sourceTransaction, fresh, n =>
                {
                    _state = $"rebuilding ({projection.Entity}: {n:N0})";
                    if (lastLogged.Elapsed < TimeSpan.FromSeconds(2)) return;
                    _logger.LogInformation("Read side rebuild: {Count:N0} {Entity} rows loaded ({Seconds:F0} s)", n, projection.Entity, clock.Elapsed.TotalSeconds);
                    lastLogged.Restart();
                });
                counts[projection.Entity] = count;
                _logger.LogInformation("Read side rebuild: {Entity} done, {Count:N0} loaded", projection.Entity, count);
            }
            fresh.Execute($"UPDATE {PositionTable} SET seq = $seq, changed_at = $at", new { seq = position, at = changedAt });
            fresh.Execute($"CHECKPOINT {Catalog}");
            Swap(fresh, position, changedAt);
            fresh = null;
            _logger.LogInformation("Read side rebuilt at change {Position} in {Seconds:F1} s", position, clock.Elapsed.TotalSeconds);
            return counts;
        }
        finally
        {
            fresh?.Dispose();
        }
    }

    private DuckDBConnection NewDatabase()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        if (_threads is { } threads) connection.Execute($"SET threads = {threads}");
        connection.Execute($"ATTACH ':memory:' AS {Catalog} (COMPRESS)");
        connection.Execute($"USE {Catalog}");
        foreach (var projection in _projections) connection.Execute(projection.Schema);
        connection.Execute($"CREATE TABLE {PositionTable} (seq BIGINT NOT NULL, changed_at VARCHAR, schema_hash VARCHAR NOT NULL)");
        connection.Execute($"INSERT INTO {PositionTable} VALUES (0, NULL, $schema)", new { schema = SchemaHash });
        return connection;
    }

    /// <summary>Makes <paramref name="fresh"/> the current database; connections still open on the old one finish on it.</summary>
    private void Swap(DuckDBConnection fresh, long position, string? changedAt)
    {
        var writer = Open(fresh);
        var oldRoot = Interlocked.Exchange(ref _root, fresh);
        var oldWriter = Interlocked.Exchange(ref _writer, writer);
        oldWriter?.Dispose();
        oldRoot?.Dispose();
        Interlocked.Exchange(ref _position, position);
        Volatile.Write(ref _asOf, changedAt);
        Volatile.Write(ref _feedSnapshot, null);
        _savedPosition = -1;
    }

    // ------------------------------------------------------------------ snapshot

    /// <summary>
    /// Saves the projection to <see cref="SnapshotPath"/> when it moved since the last save: written to a temporary file
    /// from one consistent view (a read transaction), then renamed over the old snapshot, so a crash leaves the old one.
    /// </summary>
    public bool SaveSnapshot()
    {
        if (!IsReady) return false;
        lock (_snapshotLock) return SaveSnapshotCore();
    }

    private bool SaveSnapshotCore()
    {
        using var c = Open(Volatile.Read(ref _root)!);
        var temp = $"{SnapshotPath}.{Environment.ProcessId}.tmp"; // instances sharing a data directory never share a temp file
        File.Delete(temp);
        File.Delete(temp + ".wal");
        long position;
        c.Execute($"ATTACH '{Quote(temp)}' AS snap");
        try
        {
            using var transaction = c.BeginTransaction();
            position = c.ExecuteScalar<long>($"SELECT seq FROM {Catalog}.main.{PositionTable}", transaction: transaction);
            if (position == Interlocked.Read(ref _savedPosition)) return false;
            foreach (var table in c.Query<string>($"SELECT table_name FROM duckdb_tables() WHERE database_name = '{Catalog}' AND schema_name = 'main'", transaction: transaction).ToList())
                c.Execute($"CREATE TABLE snap.main.{table} AS SELECT * FROM {Catalog}.main.{table}", transaction: transaction);
            transaction.Commit();
            c.Execute("CHECKPOINT snap");
        }
        finally
        {
            c.Execute("DETACH snap");
        }
        File.Move(temp, SnapshotPath, overwrite: true);
        File.Delete(temp + ".wal");
        Interlocked.Exchange(ref _savedPosition, position);
        _logger.LogInformation("Read-side snapshot saved at change {Position}", position);
        return true;
    }

    /// <summary>Drops change-log entries older than <paramref name="retention"/> (through the writer); projections behind them rebuild.</summary>
    public static Task<int> PruneChangeLogAsync(Writer writer, TimeSpan retention) =>
        writer.ExecuteAsync((c, t) =>
        {
            var key = Dialect.Of(c).FeedKey; // what positions count: seq (SQLite) or txid (PostgreSQL)
            var cutoff = Clock.Format(DateTimeOffset.UtcNow - retention);
            var through = c.ExecuteScalar<long?>($"SELECT MAX({key}) FROM read_changes WHERE changed_at < @cutoff", new { cutoff }, t);
            if (through is null) return 0;
            c.Execute("UPDATE read_changes_pruned SET pruned_through = CASE WHEN pruned_through > @through THEN pruned_through ELSE @through END",
                new { through }, t);
            return c.Execute($"DELETE FROM read_changes WHERE {key} <= @through", new { through }, t);
        });

    private static string Quote(string path) => path.Replace("'", "''", StringComparison.Ordinal);

    public void Dispose()
    {
        _writer?.Dispose();
        _root?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>The read side is still being loaded or rebuilt at start: 503 with Retry-After.</summary>
public sealed class ReadSideUnavailableException(string state) : ProblemException(StatusCodes.Status503ServiceUnavailable,
    "Trends are not available yet", $"The read side is {state}; try again shortly.",
    new Dictionary<string, object?> { ["retryAfterSeconds"] = 5 });
