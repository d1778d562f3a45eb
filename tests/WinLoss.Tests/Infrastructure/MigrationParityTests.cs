using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// The SQLite and PostgreSQL migrations are two editions of one schema: the same script names (versions), and after
/// all of them the same tables and columns, so that the application's SQL finds what it names on either engine.
/// </summary>
public sealed class MigrationParityTests
{
    private const string Prefix = "WinLoss.Api.Infrastructure.Database.Migrations.";

    /// <summary>Columns only one engine has, on purpose (see the PostgreSQL script that adds each).</summary>
    private static readonly string[] PostgreSqlOnly = ["read_changes.txid"];

    private static List<(string Name, string Sql)> Scripts(string engine)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = Prefix + engine + ".";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (n[prefix.Length..], reader.ReadToEnd());
            })
            .ToList();
    }

    [Fact]
    public void Both_engines_ship_the_same_migration_scripts()
    {
        var sqlite = Scripts("Sqlite").Select(s => s.Name).ToList();
        var postgres = Scripts("PostgreSql").Select(s => s.Name).ToList();
        Assert.NotEmpty(sqlite);
        Assert.True(sqlite.SequenceEqual(postgres),
            $"Migrations/Sqlite and Migrations/PostgreSql must hold the same file names. Only in Sqlite: " +
            $"[{string.Join(", ", sqlite.Except(postgres))}]; only in PostgreSql: [{string.Join(", ", postgres.Except(sqlite))}]");
    }

    [Fact]
    [Trait("Engine", "PostgreSql")]
    public async Task PostgreSql_scripts_build_the_tables_and_columns_the_SQLite_scripts_build()
    {
        await using var pg = await PostgreSqlDatabase.CreateAsync();
        using var sqlite = SqliteDatabase.Create();

        var pgColumns = (await pg.Connection.QueryAsync<string>(
            """
            SELECT CASE WHEN table_schema = 'reporting' THEN 'reporting_' ELSE '' END || table_name || '.' || column_name
            FROM information_schema.columns WHERE table_schema IN ('public', 'reporting')
            """)).Where(c => !PostgreSqlOnly.Contains(c)).ToHashSet(StringComparer.Ordinal);
        var sqliteColumns = sqlite.Connection.Query<string>(
            """
            SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
            WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!'
            """).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("reports.deal_id", sqliteColumns);
        Assert.Contains("reporting_reports.primary_competitor", sqliteColumns);
        Assert.True(pgColumns.SetEquals(sqliteColumns),
            $"Tables and columns differ. Only on PostgreSQL: [{string.Join(", ", pgColumns.Except(sqliteColumns).Order())}]; " +
            $"only on SQLite: [{string.Join(", ", sqliteColumns.Except(pgColumns).Order())}]");
    }

    [Fact]
    [Trait("Engine", "PostgreSql")]
    public async Task Reporting_views_show_live_reports_with_their_primary_competitor_and_reason_on_both_engines()
    {
        await using var pg = await PostgreSqlDatabase.CreateAsync();
        using var sqlite = SqliteDatabase.Create();
        // The same statements on both engines, as the application runs them.
        const string seed =
            """
            INSERT INTO users (email, display_name, role, created_at) VALUES ('rep@example.com', 'Rita Rep', 'rep', '2026-01-05T09:00:00.000Z');
            INSERT INTO competitors (name, created_at) VALUES ('Acme', '2026-01-05T09:00:00.000Z');
            INSERT INTO competitors (name, created_at) VALUES ('Acme Old', '2026-01-05T09:00:00.000Z');
            UPDATE competitors SET merged_into_id = 1 WHERE id = 2;
            INSERT INTO reports (deal_id, rep_id, outcome, closed_on, amount_cents, currency, created_at, created_by, updated_at)
                VALUES ('D-1', 1, 'lost', '2026-02-03', 1250050, 'EUR', '2026-02-04T10:11:12.345Z', 1, '2026-02-04T10:11:12.345Z');
            INSERT INTO reports (deal_id, rep_id, outcome, closed_on, created_at, created_by, updated_at, deleted_at, deleted_by)
                VALUES ('D-2', 1, 'won', '2026-02-05', '2026-02-06T08:00:00.000Z', 1, '2026-02-06T08:00:00.000Z', '2026-02-07T08:00:00.000Z', 1);
            INSERT INTO report_competitors (report_id, position, name, normalized, competitor_id, is_primary) VALUES
                (1, 0, 'Globex', 'globex', NULL, 0), (1, 1, 'acme old', 'acmeold', 2, 1), (2, 0, 'Acme', 'acme', 1, 1);
            INSERT INTO report_reasons (report_id, position, category, detail, is_primary) VALUES
                (1, 0, 'timing', NULL, 0), (1, 1, 'price', 'Too dear', 1), (2, 0, 'budget', NULL, 1);
            INSERT INTO report_objections (report_id, position, category, competitor, competitor_normalized, competitor_id, text, overcome) VALUES
                (1, 0, 'price', 'Acme old', 'acmeold', 2, 'Cheaper', 0), (2, 0, 'security', NULL, NULL, NULL, NULL, 1);
            """;
        await pg.Connection.ExecuteAsync(seed);
        sqlite.Connection.Execute(seed);

        const string reports =
            "SELECT deal_id AS DealId, primary_competitor AS Competitor, primary_reason AS Reason, primary_reason_label AS Label FROM {0}reports";
        var expected = new[] { new FlatRow("D-1", "Acme", "price", "Price") };
        Assert.Equal(expected, await pg.Connection.QueryAsync<FlatRow>(string.Format(reports, "reporting.")));
        Assert.Equal(expected, sqlite.Connection.Query<FlatRow>(string.Format(reports, "reporting_")));

        const string competitors = "SELECT competitor FROM {0}report_competitors ORDER BY position";
        Assert.Equal(["Globex", "Acme"], await pg.Connection.QueryAsync<string>(string.Format(competitors, "reporting.")));
        Assert.Equal(["Globex", "Acme"], sqlite.Connection.Query<string>(string.Format(competitors, "reporting_")));

        const string objections = "SELECT deal_id || ':' || category || ':' || competitor FROM {0}report_objections";
        Assert.Equal(["D-1:price:Acme"], await pg.Connection.QueryAsync<string>(string.Format(objections, "reporting.")));
        Assert.Equal(["D-1:price:Acme"], sqlite.Connection.Query<string>(string.Format(objections, "reporting_")));

        // PostgreSQL's views are typed for BI tools: a date, a boolean, an amount in currency units, a timestamp.
        var typed = await pg.Connection.QuerySingleAsync<(DateTime ClosedOn, bool Won, decimal Amount, DateTime CreatedAt)>(
            "SELECT closed_on, won, amount, created_at FROM reporting.reports");
        Assert.Equal((new DateTime(2026, 2, 3), false, 12500.50m), (typed.ClosedOn, typed.Won, typed.Amount));
        Assert.Equal(new DateTime(2026, 2, 4, 10, 11, 12, 345, DateTimeKind.Utc), typed.CreatedAt.ToUniversalTime());
    }

    private sealed record FlatRow(string DealId, string Competitor, string Reason, string Label);

    private static void Apply(DbConnection connection, IEnumerable<(string Name, string Sql)> scripts)
    {
        foreach (var (name, sql) in scripts)
        {
            using var transaction = connection.BeginTransaction();
            try
            {
                connection.Execute(sql, transaction: transaction);
            }
            catch (DbException e)
            {
                throw new InvalidOperationException($"Migration {name} failed: {e.Message}", e);
            }
            transaction.Commit();
        }
    }

    /// <summary>A fresh database on the test cluster (WINLOSS_TEST_PG), migrated, dropped at the end.</summary>
    private sealed class PostgreSqlDatabase : IAsyncDisposable
    {
        private readonly NpgsqlConnectionStringBuilder _admin;
        private readonly string _name;

        private PostgreSqlDatabase(NpgsqlConnectionStringBuilder admin, string name, NpgsqlConnection connection)
        {
            _admin = admin;
            _name = name;
            Connection = connection;
        }

        public NpgsqlConnection Connection { get; }

        public static async Task<PostgreSqlDatabase> CreateAsync()
        {
            var cs = Environment.GetEnvironmentVariable("WINLOSS_TEST_PG");
            if (string.IsNullOrWhiteSpace(cs))
            {
                Assert.Fail("WINLOSS_TEST_PG is not set: this test needs a PostgreSQL cluster. Run it through scripts/test.sh " +
                            "(--engine postgres or both), which starts one and sets the variable.");
            }
            var admin = new NpgsqlConnectionStringBuilder(cs) { Pooling = false };
            var name = "parity_" + Guid.NewGuid().ToString("N");
            await using (var c = new NpgsqlConnection(admin.ConnectionString))
            {
                await c.OpenAsync();
                await c.ExecuteAsync($"CREATE DATABASE {name}");
            }
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name }.ConnectionString);
            await connection.OpenAsync();
            Apply(connection, Scripts("PostgreSql"));
            return new PostgreSqlDatabase(admin, name, connection);
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            await using var c = new NpgsqlConnection(_admin.ConnectionString);
            await c.OpenAsync();
            await c.ExecuteAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        }
    }

    /// <summary>A SQLite file in a temp directory, migrated with foreign keys on (as the service opens it).</summary>
    private sealed class SqliteDatabase : IDisposable
    {
        private readonly string _path;

        private SqliteDatabase(string path, SqliteConnection connection)
        {
            _path = path;
            Connection = connection;
        }

        public SqliteConnection Connection { get; }

        public static SqliteDatabase Create()
        {
            var path = Path.Combine(Path.GetTempPath(), "winloss-parity-" + Guid.NewGuid().ToString("N") + ".db");
            var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path,
                ForeignKeys = true,
                Pooling = false,
            }.ConnectionString);
            connection.Open();
            Apply(connection, Scripts("Sqlite"));
            return new SqliteDatabase(path, connection);
        }

        public void Dispose()
        {
            Connection.Dispose();
            File.Delete(_path);
        }
    }
}
