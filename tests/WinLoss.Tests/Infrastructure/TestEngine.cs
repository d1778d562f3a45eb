using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// Which write store the tests run on: SQLite (default) or PostgreSQL when WINLOSS_TEST_ENGINE=postgres, with
/// WINLOSS_TEST_PG the connection string of a server the tests may create databases on (scripts/test.sh starts a
/// throwaway cluster and runs the suite once per engine). Tests of what only one engine has carry
/// [Trait("Engine", "Sqlite")] or [Trait("Engine", "PostgreSql")] and run only in that engine's pass.
/// </summary>
public static class TestEngine
{
    public static bool PostgreSql { get; } =
        string.Equals(Environment.GetEnvironmentVariable("WINLOSS_TEST_ENGINE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The server's connection string (a role that may create databases).</summary>
    public static string Server =>
        Environment.GetEnvironmentVariable("WINLOSS_TEST_PG") is { Length: > 0 } pg
            ? pg
            : throw new InvalidOperationException("WINLOSS_TEST_PG is not set: run the PostgreSQL tests through scripts/test.sh, which starts a server.");

    /// <summary>
    /// A new database for one test app, every migration applied and nothing else in it (no users: the app creates its
    /// admin at start): its WINLOSS_DB value. A copy of a template migrated once per test process (the app's own start then
    /// finds every migration applied): on SQLite the file <paramref name="directory"/>/winloss.db (unless a file is there
    /// already), on PostgreSQL a new database on the test server.
    /// </summary>
    public static string CreateDatabase(string directory)
    {
        if (PostgreSql) return CreatePostgreSqlDatabase();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "winloss.db");
        if (!File.Exists(path)) File.Copy(SqliteTemplate.Value, path);
        return path;
    }

    /// <summary>
    /// An SQLite file with every migration applied, made by the service's own migrator the first time a test app needs a
    /// database (one transaction per migration, each synced to disk: work saved for each of the suite's dozens of apps).
    /// Checkpointed and closed before it is copied: the copy is complete without its WAL file, and keeps the WAL
    /// journal mode and page size the migrator set (both are stored in the file).
    /// </summary>
    private static readonly Lazy<string> SqliteTemplate = new(() =>
    {
        var directory = Path.Combine(Path.GetTempPath(), "winloss-tests", "template-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "winloss.db");
        var db = new Db(path, directory);
        try { Migrator.Migrate(db, NullLogger.Instance); }
        finally { db.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var checkpoint = c.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools(); // the migrator's pooled connection: the last one closed removes the WAL file
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        };
        return path;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A fresh PostgreSQL database on the test server, a copy of a migrated template (see <see cref="CreateDatabase"/>); its connection string.</summary>
    public static string CreatePostgreSqlDatabase()
    {
        var name = "winloss_t_" + Guid.NewGuid().ToString("N")[..20];
        ExecuteOnServer($"CREATE DATABASE {name} TEMPLATE {PostgreSqlTemplate.Value}");
        return new NpgsqlConnectionStringBuilder(Server) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// A database with every migration applied by the service's migrator, made once per test process; each test database is
    /// created from it (CREATE DATABASE … TEMPLATE copies it on the server). Nothing stays connected to it: PostgreSQL copies
    /// only a template without sessions.
    /// </summary>
    private static readonly Lazy<string> PostgreSqlTemplate = new(() =>
    {
        var name = "winloss_template_" + Guid.NewGuid().ToString("N")[..20];
        ExecuteOnServer($"CREATE DATABASE {name}");
        var dataDirectory = Path.Combine(Path.GetTempPath(), "winloss-tests", name);
        var db = new Db(new NpgsqlConnectionStringBuilder(Server) { Database = name, Pooling = false }.ConnectionString, dataDirectory);
        try { Migrator.Migrate(db, NullLogger.Instance); }
        finally
        {
            db.DisposeAsync().AsTask().GetAwaiter().GetResult();
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { ExecuteOnServer($"DROP DATABASE IF EXISTS {name} WITH (FORCE)"); } catch (NpgsqlException) { }
        };
        return name;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    private static void ExecuteOnServer(string sql)
    {
        using var admin = new NpgsqlConnection(Server);
        admin.Open();
        using var command = admin.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static DbConnection Open(string setting)
    {
        DbConnection c = setting.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? new NpgsqlConnection(setting)
            : new SqliteConnection($"Data Source={setting}");
        c.Open();
        return c;
    }

    /// <summary>The tables of the database behind <paramref name="c"/>.</summary>
    public static List<string> Tables(DbConnection c) => Dapper.SqlMapper.Query<string>(c, c is NpgsqlConnection
        ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").ToList();

    /// <summary>After inserting explicit ids into <paramref name="table"/>: PostgreSQL's identity sequence moves past them (SQLite needs nothing).</summary>
    public static void SyncIds(DbConnection c, string table)
    {
        if (c is NpgsqlConnection)
            Dapper.SqlMapper.Execute(c, $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)");
    }

    /// <summary>Drops a database made by <see cref="CreateDatabase"/> (SQLite files go with their directory).</summary>
    public static void Drop(string setting)
    {
        if (!setting.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            SqliteConnection.ClearAllPools();
            return;
        }
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(setting).Database;
        try
        {
            using var admin = new NpgsqlConnection(Server);
            admin.Open();
            using var drop = admin.CreateCommand();
            drop.CommandText = $"DROP DATABASE IF EXISTS {name} WITH (FORCE)";
            drop.ExecuteNonQuery();
        }
        catch (NpgsqlException) { } // the throwaway cluster goes at the end anyway
    }
}
