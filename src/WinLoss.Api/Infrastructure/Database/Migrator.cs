using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>Applies the numbered SQL scripts in Migrations/ in order, each in its own transaction.</summary>
public static class Migrator
{
    private const string Prefix = "WinLoss.Api.Infrastructure.Database.Migrations.Sqlite.";

    public static IReadOnlyList<(string Version, string Sql)> Scripts { get; } = Load();

    private static List<(string, string)> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (n[Prefix.Length..^4], reader.ReadToEnd());
            })
            .ToList();
    }

    public static void Migrate(Db db, ILogger logger)
    {
        using var connection = db.Open();
        // 2 KiB pages for a new database (SQLite applies page_size only before the first table exists; an existing
        // file keeps its size). Every commit writes whole pages to the WAL, most of them the last page of a B-tree
        // that gained a few small rows, so smaller pages mean fewer bytes written per filed report, with scans as fast
        // as before (figures: docs/performance.md).
        connection.Execute("PRAGMA page_size = 2048;");
        connection.Execute("PRAGMA journal_mode = WAL;");
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL);");
        var applied = connection.Query<string>("SELECT version FROM schema_migrations").ToHashSet(StringComparer.Ordinal);
        foreach (var (version, sql) in Scripts)
        {
            if (applied.Contains(version)) continue;
            using var transaction = connection.BeginTransaction();
            connection.Execute(sql, transaction: transaction);
            connection.Execute("INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @now)",
                new { version, now = Clock.Now() }, transaction);
            transaction.Commit();
            logger.LogInformation("Applied migration {Version}", version);
        }
    }

    /// <summary>True when every script shipped with this build has been applied.</summary>
    public static async Task<bool> IsCurrentAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var applied = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT version FROM schema_migrations", cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
        return Scripts.All(s => applied.Contains(s.Version));
    }
}
