using Dapper;
using System.Data.Common;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>
/// Applies the numbered SQL scripts of the engine (Migrations/Sqlite or Migrations/PostgreSql: the same versions) in
/// order, each in its own transaction. With PostgreSQL the caller holds <see cref="Db.StartupLock"/>, so of several
/// instances starting together one migrates and the others find the work done.
/// </summary>
public static class Migrator
{
    private const string Prefix = "WinLoss.Api.Infrastructure.Database.Migrations.";

    private static readonly Dictionary<Dialect, IReadOnlyList<(string Version, string Sql)>> ByEngine = new()
    {
        [Dialect.Sqlite] = Load(Dialect.Sqlite),
        [Dialect.PostgreSql] = Load(Dialect.PostgreSql),
    };

    /// <summary>The scripts of <paramref name="dialect"/>'s engine, by version.</summary>
    public static IReadOnlyList<(string Version, string Sql)> Scripts(Dialect dialect) => ByEngine[dialect];

    private static List<(string, string)> Load(Dialect dialect)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = Prefix + dialect.MigrationsFolder + ".";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (n[prefix.Length..^4], reader.ReadToEnd());
            })
            .ToList();
    }

    public static void Migrate(Db db, ILogger logger)
    {
        using var connection = db.Open();
        if (db.IsPostgreSql) Apply(connection, Scripts(db.Dialect), logger);
        else MigrateSqlite(connection, logger);
    }

    private static void MigrateSqlite(DbConnection connection, ILogger logger)
    {
        // 2 KiB pages for a new database (SQLite applies page_size only before the first table exists; an existing
        // file keeps its size). Every commit writes whole pages to the WAL, most of them the last page of a B-tree
        // that gained a few small rows, so smaller pages mean fewer bytes written per filed report, with scans as fast
        // as before (figures: docs/performance.md).
        connection.Execute("PRAGMA page_size = 2048;");
        connection.Execute("PRAGMA journal_mode = WAL;");
        Apply(connection, Scripts(Dialect.Sqlite), logger);
    }

    private static void Apply(DbConnection connection, IReadOnlyList<(string Version, string Sql)> scripts, ILogger logger)
    {
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL);");
        var applied = connection.Query<string>("SELECT version FROM schema_migrations").ToHashSet(StringComparer.Ordinal);
        foreach (var (version, sql) in scripts)
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
    public static async Task<bool> IsCurrentAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var applied = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT version FROM schema_migrations", cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
        return Scripts(Dialect.Of(connection)).All(s => applied.Contains(s.Version));
    }
}
