using System.Data.Common;
using System.Net.Sockets;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>
/// Everything that differs between the two write stores, in one place: the feature slices run the same SQL text on
/// both (the PostgreSQL schema provides the few SQLite functions they use, docs/postgresql.md) and ask the dialect for
/// the rest. Found from the connection (<see cref="Of"/>), so code that has a connection needs nothing else.
/// </summary>
public abstract partial class Dialect
{
    public static readonly Dialect Sqlite = new SqliteDialect();
    public static readonly Dialect PostgreSql = new PostgreSqlDialect();

    public static Dialect Of(DbConnection connection) => connection is NpgsqlConnection ? PostgreSql : Sqlite;

    /// <summary>"sqlite" or "postgresql" (health and logs).</summary>
    public abstract string Name { get; }

    /// <summary>The folder of this engine's migration scripts (Infrastructure/Database/Migrations/&lt;folder&gt;).</summary>
    public abstract string MigrationsFolder { get; }

    /// <summary>Whether one failed statement aborts the whole transaction (PostgreSQL): a statement that may fail on purpose runs in a savepoint.</summary>
    public abstract bool FailureAbortsTransaction { get; }

    /// <summary>
    /// <paramref name="sql"/> in this engine's form, for the two SQLite idioms the slices use that PostgreSQL spells
    /// differently: <c>IN @list</c> (a list parameter, which Dapper expands on SQLite; PostgreSQL takes one array
    /// parameter, <c>= ANY(@list)</c>) and <c>CROSS JOIN … ON</c> (SQLite's way of fixing the join order; a plain
    /// <c>JOIN</c> on PostgreSQL, whose planner needs no hint). Remembered per SQL text.
    /// </summary>
    public string Adapt(string sql) => FailureAbortsTransaction
        ? Adapted.GetOrAdd(sql, s => CrossJoin().Replace(InList().Replace(s, "= ANY(@$1)"), "JOIN"))
        : sql;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Adapted = new();

    [System.Text.RegularExpressions.GeneratedRegex(@"\bIN @(\w+)", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex InList();

    [System.Text.RegularExpressions.GeneratedRegex(@"\bCROSS JOIN\b", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex CrossJoin();

    /// <summary>
    /// Whether a uniqueness is better checked by inserting and handling the conflict than by reading first: on PostgreSQL
    /// (SERIALIZABLE) a read of an index range that concurrent transactions insert into makes them conflict and retry.
    /// </summary>
    public bool ChecksByInserting => FailureAbortsTransaction;

    /// <summary>A condition "<paramref name="column"/> is one of the ids in parameter @<paramref name="parameter"/>"; bind the value from <see cref="Ids"/>.</summary>
    public abstract string InIds(string column, string parameter);

    /// <summary>The parameter value for <see cref="InIds"/>.</summary>
    public abstract object Ids(IEnumerable<long> ids);

    /// <summary>Whether <paramref name="exception"/> is a unique-index violation of <paramref name="key"/>.</summary>
    public abstract bool IsUniqueViolation(Exception exception, UniqueKey key);

    /// <summary>The database's disk is full (SQLITE_FULL; PostgreSQL disk_full).</summary>
    public abstract bool IsDiskFull(Exception exception);

    /// <summary>The database cannot be reached or is restarting: answer 503 with Retry-After; nothing was written.</summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case PostgresException pg when pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
                    || pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                        or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections:
                    return true;
                case PostgresException:
                    return false;
                case NpgsqlException npgsql when npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException:
                    return true;
                case SocketException:
                    return true;
            }
        }
        return false;
    }

    /// <summary>A transaction that lost a conflict with a concurrent one and may simply run again (PostgreSQL serialization failure or deadlock).</summary>
    public static bool IsRetryable(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    /// <summary>
    /// The change log's read position (docs/read-side.md "Position"): SQL returning (position, changed_at) for a projection
    /// built from the current snapshot — every change at or below the position is visible in it.
    /// </summary>
    public abstract string FeedHeadSql { get; }

    /// <summary>SQL returning (seq, entity, entity_id, changed_at) of the changes a projection at @position has not applied, in apply order.</summary>
    public abstract string FeedChangesSql { get; }

    /// <summary>
    /// The position after applying the rows of <see cref="FeedChangesSql"/> (same transaction) and the snapshot they were
    /// read in (PostgreSQL: which transactions it sees, so that changes above the watermark that were applied can be told
    /// from those not seen yet); null = the last row's seq, and no snapshot.
    /// </summary>
    public abstract string? FeedNextPositionSql { get; }

    /// <summary>SQL returning the highest position a projection of this database can have reached (a larger one belongs to another database).</summary>
    public abstract string FeedMaxPositionSql { get; }

    /// <summary>The change-log column positions are compared with (seq on SQLite, txid on PostgreSQL); pruning goes by it.</summary>
    public abstract string FeedKey { get; }

    /// <summary>A read-only transaction that sees one consistent snapshot of the database for all its statements.</summary>
    public abstract DbTransaction BeginSnapshot(DbConnection connection);

    /// <summary>A unique index: its name (PostgreSQL reports it) and its "table.column" list (all SQLite reports).</summary>
    public sealed record UniqueKey(string Index, string Columns);

    private sealed class SqliteDialect : Dialect
    {
        public override string Name => "sqlite";
        public override string MigrationsFolder => "Sqlite";
        public override bool FailureAbortsTransaction => false;
        // WAL: a deferred transaction reads one snapshot from its first read on.
        public override DbTransaction BeginSnapshot(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: true);
        public override string InIds(string column, string parameter) => $"{column} IN (SELECT value FROM json_each(@{parameter}))";
        public override object Ids(IEnumerable<long> ids) => "[" + string.Join(",", ids) + "]";

        // SQLite names only the columns ("UNIQUE constraint failed: reports.deal_id"); its message is all there is to go by.
        public override bool IsUniqueViolation(Exception exception, UniqueKey key) =>
            exception is SqliteException { SqliteErrorCode: 19 } ex && ex.Message.Contains("UNIQUE constraint failed: " + key.Columns, StringComparison.Ordinal);

        public override bool IsDiskFull(Exception exception) => exception is SqliteException { SqliteErrorCode: 13 };

        // seq is assigned by the single writer inside the transaction: seq order is commit order.
        public override string FeedHeadSql =>
            "SELECT COALESCE(MAX(seq), 0), (SELECT changed_at FROM read_changes ORDER BY seq DESC LIMIT 1) FROM read_changes";
        public override string FeedChangesSql =>
            "SELECT seq, entity, entity_id, changed_at FROM read_changes WHERE seq > @position ORDER BY seq LIMIT @limit";
        public override string? FeedNextPositionSql => null;
        public override string FeedMaxPositionSql => "SELECT COALESCE(MAX(seq), 0) FROM read_changes";
        public override string FeedKey => "seq";
    }

    /// <summary>
    /// Sequences are not commit-ordered here: a transaction may take seq 10, another seq 11 and commit first. So the
    /// position is a transaction-id watermark: every transaction with an id at or below it had finished (committed or
    /// rolled back) when the projection last read the log (pg_snapshot_xmin of that read, minus one). Each read applies
    /// every visible change above the position; changes of transactions still open are picked up by a later read, and a
    /// change applied twice is harmless (applying replaces an entity's rows with its current state).
    /// </summary>
    private sealed class PostgreSqlDialect : Dialect
    {
        public override string Name => "postgresql";
        public override string MigrationsFolder => "PostgreSql";
        public override bool FailureAbortsTransaction => true;
        public override DbTransaction BeginSnapshot(DbConnection connection)
        {
            var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            connection.Execute("SET TRANSACTION READ ONLY", transaction: transaction);
            return transaction;
        }
        public override string InIds(string column, string parameter) => $"{column} = ANY(@{parameter})";
        public override object Ids(IEnumerable<long> ids) => ids.ToArray();

        public override bool IsUniqueViolation(Exception exception, UniqueKey key) =>
            exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } ex && ex.ConstraintName == key.Index;

        public override bool IsDiskFull(Exception exception) =>
            exception is PostgresException { SqlState: PostgresErrorCodes.DiskFull or PostgresErrorCodes.OutOfMemory };

        public override string FeedHeadSql =>
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1, (SELECT changed_at FROM read_changes ORDER BY seq DESC LIMIT 1)";
        public override string FeedChangesSql =>
            "SELECT seq, entity, entity_id, changed_at FROM read_changes WHERE txid > @position ORDER BY seq";
        public override string? FeedNextPositionSql =>
            "SELECT pg_snapshot_xmin(s)::text::bigint - 1, s::text FROM pg_current_snapshot() AS s";
        public override string FeedMaxPositionSql => "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1";
        public override string FeedKey => "txid";
    }
}

/// <summary>Dapper type handler: lets <see cref="Utf8Text"/> parameters (bound natively on SQLite) go through Dapper as text.</summary>
internal sealed class Utf8TextHandler : SqlMapper.TypeHandler<Utf8Text>
{
    public override void SetValue(System.Data.IDbDataParameter parameter, Utf8Text? value)
    {
        parameter.DbType = System.Data.DbType.String;
        parameter.Value = value is null ? DBNull.Value : System.Text.Encoding.UTF8.GetString(value.Bytes.Span);
    }

    public override Utf8Text Parse(object value) => new(System.Text.Encoding.UTF8.GetBytes((string)value));
}
