using Microsoft.Data.Sqlite;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>The one connection factory. Readers open pooled connections; all writes go through <see cref="Writer"/>.</summary>
public sealed class Db
{
    public Db(string path)
    {
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
