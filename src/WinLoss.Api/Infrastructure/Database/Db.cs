using Microsoft.Data.Sqlite;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>The one connection factory. Readers open pooled connections; all writes go through <see cref="Writer"/>.</summary>
public sealed class Db
{
    /// <summary>
    /// Statement and savepoint journals (the undo log SQLite keeps for every SAVEPOINT — the writer opens one per
    /// job — and for multi-row statements) stay in memory up to this size and spill to a temporary file beyond it.
    /// SQLite's default is 64 KiB, less than one filed report touches (~20 pages, ~82 KB), so every report paid ~40
    /// write() calls to a temp file that is thrown away at commit: ~25% of the writer's CPU (measured with strace
    /// and perf; see README "Performance"). Jobs that touch more (a rebuild, a large remap, an import batch) still
    /// spill to disk. Not larger: with this SQLite build (3.53.4 in SQLitePCLRaw) a spill size above ~128 KiB makes
    /// the spill itself fail with SQLITE_FULL (reproduced with a 20,000-row update in one savepoint: 131,073 works,
    /// 135,000 fails); the CRM import test covers the spill path.
    /// </summary>
    public const int JournalSpillBytes = 128 * 1024;

    private const int SqliteConfigStmtJournalSpill = 26; // SQLITE_CONFIG_STMTJRNL_SPILL (sqlite3.h); not in SQLitePCL.raw

    private static readonly Lazy<int> Configured = new(() =>
    {
        // sqlite3_config works only before SQLite initializes (the first connection of the process). When something
        // opened a connection earlier (possible in tests), it returns SQLITE_MISUSE and the default stays: slower, not wrong.
        SQLitePCL.Batteries_V2.Init();
        return SQLitePCL.raw.sqlite3_config(SqliteConfigStmtJournalSpill, JournalSpillBytes);
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>SQLITE_OK (0) when the journal spill size was applied; SQLITE_MISUSE (21) if SQLite was already initialized.</summary>
    public static int ConfigureResult => Configured.Value;

    public Db(string path)
    {
        _ = Configured.Value;
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }
    public string ConnectionString { get; }

    /// <summary>Directory holding the database file (where admin.key is written).</summary>
    public string DataDirectory => System.IO.Path.GetDirectoryName(Path) ?? ".";

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        Configure(connection);
        return connection;
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        Configure(connection);
        return connection;
    }

    private static void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        // busy_timeout: wait for the writer instead of failing with SQLITE_BUSY;
        // synchronous=FULL: a committed transaction is on disk before COMMIT returns.
        command.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;";
        command.ExecuteNonQuery();
    }
}
