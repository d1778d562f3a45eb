using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>
/// The one connection factory, for either write store: an SQLite file (the embedded default) or a PostgreSQL database
/// (WINLOSS_DB holds an Npgsql connection string or a postgres:// URL). Readers open pooled connections; all writes go
/// through <see cref="Writer"/>.
/// </summary>
public sealed class Db : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;

    static Db()
    {
        SqlMapper.AddTypeHandler(new Utf8TextHandler());
    }

    /// <param name="setting">WINLOSS_DB: a file path, an Npgsql connection string or a postgres:// URL.</param>
    /// <param name="dataDirectory">Where local files go (admin.key, the read-side snapshot, the webhook key); default: beside
    /// the SQLite file, or ./data with PostgreSQL.</param>
    public Db(string setting, string? dataDirectory = null)
    {
        if (PostgreSqlSetting(setting) is { } builder)
        {
            Dialect = Dialect.PostgreSql;
            // Statements a connection runs repeatedly are prepared on the server (the write path's few statements are).
            if (!builder.ContainsKey("Max Auto Prepare") || builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
            if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "winloss";
            ConnectionString = builder.ConnectionString;
            Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
            DataDirectory = System.IO.Path.GetFullPath(dataDirectory ?? "data");
            Directory.CreateDirectory(DataDirectory);
            ReadSideSnapshotPath = System.IO.Path.Combine(DataDirectory,
                $"readside-{Safe(builder.Host)}-{builder.Port}-{Safe(builder.Database)}.duckdb");
            _postgres = NpgsqlDataSource.Create(builder);
            return;
        }

        Dialect = Dialect.Sqlite;
        Path = System.IO.Path.GetFullPath(setting);
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Description = $"SQLite {Path}";
        DataDirectory = dataDirectory is null ? System.IO.Path.GetDirectoryName(Path) ?? "." : System.IO.Path.GetFullPath(dataDirectory);
        ReadSideSnapshotPath = Path + ".readside";
    }

    public Dialect Dialect { get; }

    public bool IsPostgreSql => _postgres is not null;

    /// <summary>The SQLite file; null with PostgreSQL.</summary>
    public string? Path { get; }

    public string ConnectionString { get; }

    /// <summary>Which database, for logs and health (no password).</summary>
    public string Description { get; }

    /// <summary>Directory for local files: admin.key, the webhook master key, the read-side snapshot.</summary>
    public string DataDirectory { get; }

    /// <summary>Where this process saves its read-side snapshot.</summary>
    public string ReadSideSnapshotPath { get; }

    /// <summary>The PostgreSQL settings in WINLOSS_DB (keyword form or URL), or null when it names an SQLite file.</summary>
    public static NpgsqlConnectionStringBuilder? PostgreSqlSetting(string setting)
    {
        var text = setting.Trim();
        if (IsPostgreSqlUrl(text)) return FromUrl(text);
        if (!text.Contains('=', StringComparison.Ordinal)) return null;
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(text); }
        catch (ArgumentException) { return null; }
        return string.IsNullOrEmpty(builder.Host) ? null : builder;
    }

    /// <summary>Whether <paramref name="setting"/> is a postgres:// or postgresql:// URL.</summary>
    public static bool IsPostgreSqlUrl(string setting) =>
        setting.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || setting.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>postgres://user:password@host:port/database?sslmode=require&amp;… as Npgsql settings.</summary>
    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        var uri = new Uri(url);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
        }
        if (string.IsNullOrEmpty(builder.Database)) throw new ArgumentException("The postgres:// URL names no database.");
        return builder;
    }

    private static string Safe(string? text) => string.Concat((text ?? "").Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(cancellationToken);
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        Configure(connection);
        return connection;
    }

    public DbConnection Open()
    {
        if (_postgres is not null) return _postgres.OpenConnection();
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        Configure(connection);
        return connection;
    }

    /// <summary>
    /// Holds the start-up lock until disposed: with PostgreSQL a session advisory lock, so that of several instances
    /// starting together one migrates and creates the first admin while the others wait. SQLite: nothing to hold.
    /// </summary>
    public IDisposable StartupLock()
    {
        if (_postgres is null) return new NoLock();
        var connection = _postgres.OpenConnection();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT pg_advisory_lock({StartupLockKey})";
            command.CommandTimeout = 0; // another instance may be migrating a large database
            command.ExecuteNonQuery();
        }
        return connection; // closing the session releases the lock
    }

    /// <summary>The advisory lock key of start-up (an arbitrary constant: "WinLoss" in ASCII).</summary>
    public const long StartupLockKey = 0x57696E4C6F7373;

    private sealed class NoLock : IDisposable
    {
        public void Dispose() { }
    }

    private static void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        // busy_timeout: wait for the writer instead of failing with SQLITE_BUSY;
        // synchronous=FULL: a committed transaction is on disk before COMMIT returns.
        command.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;";
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
