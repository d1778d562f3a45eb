using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// PreparedSql runs the writer's hot-path SQL through SQLite's own API instead of Microsoft.Data.Sqlite commands.
/// It must store exactly what Microsoft.Data.Sqlite (through Dapper) stores for the same values, report SQLite's
/// errors the same way, and never run a statement with a parameter left unbound.
/// </summary>
[Trait("Engine", "Sqlite")]
public sealed class PreparedSqlTests(TestApp app) : IClassFixture<TestApp>
{
    private Writer Writer => app.Services.GetRequiredService<Writer>();

    private sealed record Values(string? Text, long Integer, bool Flag, double Real, decimal Money, byte[] Blob, long? Missing);

    [Fact]
    public async Task Stores_each_type_as_Microsoft_Data_Sqlite_does()
    {
        var values = new Values("Zoë «quoted» 'x'", -42, true, 2.5, 1234.50m, [1, 2, 255], null);
        await Writer.ExecuteAsync((c, t) =>
        {
            c.Execute("CREATE TABLE prepared_types (via TEXT, text, integer, flag, real, money, blob, missing)", transaction: t);
            const string insert = "INSERT INTO prepared_types VALUES (@via, @Text, @Integer, @Flag, @Real, @Money, @Blob, @Missing)";
            c.Execute(insert, new { via = "dapper", values.Text, values.Integer, values.Flag, values.Real, values.Money, values.Blob, values.Missing }, t);
            Assert.Equal(1, c.Exec(t, insert, new { via = "prepared", values.Text, values.Integer, values.Flag, values.Real, values.Money, values.Blob, values.Missing }));
        });

        using var db = app.OpenDb();
        const string row = "SELECT typeof(text) || typeof(integer) || typeof(flag) || typeof(real) || typeof(money) || typeof(blob) || typeof(missing) || '|' || " +
                           "text || integer || flag || real || money || hex(blob) FROM prepared_types WHERE via = @via";
        var viaDapper = db.ExecuteScalar<string>(row, new { via = "dapper" });
        Assert.Equal("textintegerintegerrealtextblobnull|Zoë «quoted» 'x'-4212.51234.50102FF", viaDapper);
        Assert.Equal(viaDapper, db.ExecuteScalar<string>(row, new { via = "prepared" }));
    }

    [Fact]
    public async Task Scalar_reads_a_value_or_default_and_finishes_an_insert_returning()
    {
        var (id, text, none, count) = await Writer.ExecuteAsync((c, t) =>
        {
            c.Execute("CREATE TABLE prepared_scalar (id INTEGER PRIMARY KEY, v TEXT)", transaction: t);
            var id = c.Scalar<long>(t, "INSERT INTO prepared_scalar (v) VALUES (@v) RETURNING id", new { v = "a" });
            var text = c.Scalar<string>(t, "SELECT v FROM prepared_scalar WHERE id = @id", new { id });
            var none = c.Scalar<long?>(t, "SELECT id FROM prepared_scalar WHERE v = @v", new { v = "absent" });
            var count = c.Scalar<int>(t, "SELECT COUNT(*) FROM prepared_scalar");
            return (id, text, none, count);
        });
        Assert.Equal("a", text);
        Assert.Null(none);
        Assert.Equal(1, count);
        using var db = app.OpenDb();
        Assert.Equal("a", db.ExecuteScalar<string>("SELECT v FROM prepared_scalar WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task Exec_runs_every_statement_of_the_text_and_reuses_it_with_new_values()
    {
        await Writer.ExecuteAsync((c, t) =>
        {
            c.Execute("CREATE TABLE prepared_multi (k TEXT, n INTEGER)", transaction: t);
            const string twoStatements = "INSERT INTO prepared_multi VALUES (@k, 1); INSERT INTO prepared_multi VALUES (@k, @n);";
            c.Exec(t, twoStatements, new { k = "first", n = 2 });
            c.Exec(t, twoStatements, new { k = "second", n = 3 });
        });
        using var db = app.OpenDb();
        Assert.Equal(["first:1", "first:2", "second:1", "second:3"],
            db.Query<string>("SELECT k || ':' || n FROM prepared_multi ORDER BY k, n").ToArray());
    }

    [Fact]
    public async Task A_constraint_violation_is_a_SqliteException_with_its_code_and_leaves_the_statement_usable()
    {
        var error = await Assert.ThrowsAsync<SqliteException>(() => Writer.ExecuteAsync((c, t) =>
        {
            c.Execute("CREATE TABLE prepared_unique (k TEXT UNIQUE)", transaction: t);
            c.Exec(t, "INSERT INTO prepared_unique VALUES (@k)", new { k = "x" });
            c.Exec(t, "INSERT INTO prepared_unique VALUES (@k)", new { k = "x" });
        }));
        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Equal(2067, error.SqliteExtendedErrorCode); // SQLITE_CONSTRAINT_UNIQUE
        Assert.Contains("UNIQUE constraint failed: prepared_unique.k", error.Message);

        // The failed job was rolled back as a whole; the same SQL on the same connection works afterwards.
        await Writer.ExecuteAsync((c, t) =>
        {
            c.Execute("CREATE TABLE prepared_unique (k TEXT UNIQUE)", transaction: t);
            c.Exec(t, "INSERT INTO prepared_unique VALUES (@k)", new { k = "x" });
            c.Exec(t, "INSERT INTO prepared_unique VALUES (@k)", new { k = "y" });
        });
        using var db = app.OpenDb();
        Assert.Equal(2, db.ExecuteScalar<int>("SELECT COUNT(*) FROM prepared_unique"));
    }

    [Fact]
    public async Task A_parameter_without_a_value_is_refused_rather_than_stored_as_null()
    {
        await Writer.ExecuteAsync((c, t) => c.Execute("CREATE TABLE prepared_unbound (a TEXT, b TEXT)", transaction: t));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Writer.ExecuteAsync((c, t) =>
            c.Exec(t, "INSERT INTO prepared_unbound VALUES (@a, @b)", new { a = "only a" })));
        using var db = app.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<int>("SELECT COUNT(*) FROM prepared_unbound"));
    }
}
