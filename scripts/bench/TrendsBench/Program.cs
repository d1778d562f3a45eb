// Trend benchmark: seeds N reports with a fast bulk generator (fixed seed), rebuilds the read model, then times the
// competitor trend (month, 3 years) and the objection trend through their query handlers, beside a plain SQL
// GROUP BY over the raw report tables of the same database. Usage: TrendsBench <db path> <reports>
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.Database;

var path = args[0];
var count = int.Parse(args[1], CultureInfo.InvariantCulture);
if (File.Exists(path)) File.Delete(path);
var db = new Db(path);
Migrator.Migrate(db, NullLogger.Instance);

var clock = Stopwatch.StartNew();
using (var c = db.Open())
{
    c.Execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -400000;");
    Seed(c, count);
}
var seedSeconds = clock.Elapsed.TotalSeconds;
clock.Restart();
using (var c = db.Open())
{
    using var t = c.BeginTransaction();
    ReadModel.Rebuild(c, t);
    t.Commit();
}
var rebuildSeconds = clock.Elapsed.TotalSeconds;
long facts;
using (var c = db.Open()) { c.Execute("ANALYZE main;"); facts = c.ExecuteScalar<long>("SELECT COUNT(*) FROM trend_facts"); }

var p = new TrendParameters { From = "2023-12-01", To = "2026-11-30", Granularity = "month" };
var competitor = new GetCompetitorTrendHandler(db);
var objection = new GetObjectionTrendHandler(db);
var (cp50, cp95) = await Time(20, async () => (await competitor.Handle(new GetCompetitorTrend(p, null), default)).Rows.Count);
var (op50, op95) = await Time(20, async () => (await objection.Handle(new GetObjectionTrend(p, null), default)).Rows.Count);
var (rcp50, rcp95) = await Time(5, () => Task.FromResult(Raw(db, RawCompetitorSql)));
var (rop50, rop95) = await Time(5, () => Task.FromResult(Raw(db, RawObjectionSql)));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RESULT reports={count} seed_s={seedSeconds:F1} rebuild_s={rebuildSeconds:F1} facts={facts} comp_p50={cp50:F2} comp_p95={cp95:F2} obj_p50={op50:F2} obj_p95={op95:F2} rawcomp_p50={rcp50:F2} rawcomp_p95={rcp95:F2} rawobj_p50={rop50:F2} rawobj_p95={rop95:F2}"));
return;

static async Task<(double P50, double P95)> Time(int runs, Func<Task<int>> run)
{
    await run(); // warm-up
    var ms = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var sw = Stopwatch.StartNew();
        await run();
        ms.Add(sw.Elapsed.TotalMilliseconds);
    }
    ms.Sort();
    return (ms[(int)Math.Floor(0.5 * (ms.Count - 1))], ms[(int)Math.Ceiling(0.95 * (ms.Count - 1))]);
}

static int Raw(Db db, string sql)
{
    using var c = db.Open();
    return c.Query(sql, new { from = "2023-12-01", to = "2026-11-30" }).Count();
}

static void Seed(SqliteConnection c, int count)
{
    var random = new Random(42);
    const string now = "2026-11-27T00:00:00Z";
    using (var t = c.BeginTransaction())
    {
        for (var i = 1; i <= 200; i++)
            c.Execute("INSERT INTO users (id, email, display_name, role, created_at) VALUES (@id, @email, @name, 'rep', @now)",
                new { id = i + 1000, email = $"rep{i}@bench.example", name = $"Rep {i}", now }, t);
        for (var i = 1; i <= 25; i++)
        {
            c.Execute("INSERT INTO competitors (id, name, created_at) VALUES (@i, @name, @now)", new { i, name = $"Competitor {i:D2}", now }, t);
            c.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES (@n, @name, @i)", new { n = $"competitor{i:D2}", name = $"Competitor {i:D2}", i }, t);
        }
        foreach (var m in new[] { "roi", "security", "speed", "support", "platform" })
            c.Execute("INSERT INTO catalog_messages (id, title, active, created_at, updated_at) VALUES (@m, @m, 1, @now, @now)", new { m, now }, t);
        t.Commit();
    }
    // Realistic skew: competitor k is named with weight 1/k (a few big rivals, a long tail).
    var weights = Enumerable.Range(1, 25).Select(k => 1.0 / k).ToArray();
    var cumulative = new double[25];
    double sum = 0;
    for (var k = 0; k < 25; k++) { sum += weights[k]; cumulative[k] = sum; }
    int Competitor() { var x = random.NextDouble() * sum; var k = Array.BinarySearch(cumulative, x); return (k < 0 ? ~k : k) + 1; }

    string[] segments = ["smb", "mid_market", "enterprise"], regions = ["EMEA", "NA", "APAC", "LATAM", "ANZ"];
    string[] stages = ["qualification", "discovery", "demo", "proposal", "negotiation", "closing"], products = ["Platform", "Analytics"];
    string[] industries = ["software", "finance", "health", "retail"], objections = ["price", "missing_feature", "integration", "security", "performance", "ease_of_use"];
    string[] reasons = ["price", "product_gap", "integration", "timing", "budget", "status_quo"], messages = ["roi", "security", "speed", "support", "platform"];
    string[] resonance = ["resonated", "neutral", "fell_flat"], leads = ["webinar", "referral", "outbound", "inbound"];
    var start = new DateOnly(2023, 12, 1);
    var days = new DateOnly(2026, 11, 30).DayNumber - start.DayNumber + 1;

    var report = Prepare(c, "INSERT INTO reports (id, deal_id, rep_id, outcome, closed_on, amount_cents, currency, segment, stage_reached, region, industry, product, lead_source, lead_quality, version, created_at, created_by, updated_at) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, 'USD', @p6, @p7, @p8, @p9, @p10, @p11, @p12, 1, @p13, @p2, @p13)", 14);
    var comp = Prepare(c, "INSERT INTO report_competitors (report_id, position, name, normalized, competitor_id, is_primary) VALUES (@p0, @p1, @p2, @p3, @p4, @p5)", 6);
    var reason = Prepare(c, "INSERT INTO report_reasons (report_id, position, category, is_primary) VALUES (@p0, @p1, @p2, @p3)", 4);
    var objection = Prepare(c, "INSERT INTO report_objections (report_id, position, category, competitor, competitor_normalized, competitor_id, overcome) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6)", 7);
    var message = Prepare(c, "INSERT INTO report_messages (report_id, position, message_id, resonance) VALUES (@p0, @p1, @p2, @p3)", 4);
    SqliteTransaction? tx = null;
    for (var id = 1; id <= count; id++)
    {
        if ((id - 1) % 100_000 == 0) { tx?.Commit(); tx = c.BeginTransaction(); foreach (var cmd in new[] { report, comp, reason, objection, message }) cmd.Transaction = tx; }
        var roll = random.Next(100);
        var outcome = roll < 30 ? "won" : roll < 70 ? "lost" : "no_decision";
        var closed = start.AddDays(random.Next(days)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Run(report, id, $"B-{id}", 1001 + random.Next(200), outcome, closed, random.Next(1, 500) * 100_000L, segments[random.Next(3)], stages[random.Next(6)],
            regions[random.Next(5)], industries[random.Next(4)], products[random.Next(2)], leads[random.Next(4)], random.Next(1, 6), now);
        var named = random.Next(10) < 2 ? 0 : random.Next(10) < 7 ? 1 : 2;
        var first = Competitor();
        for (var k = 0; k < named; k++)
        {
            var cid = k == 0 ? first : first % 25 + 1;
            Run(comp, id, k, $"Competitor {cid:D2}", $"competitor{cid:D2}", cid, k == 0 ? 1 : 0);
        }
        if (outcome != "won") Run(reason, id, 0, reasons[random.Next(6)], 1);
        var objectionCount = random.Next(3);
        for (var k = 0; k < objectionCount; k++)
        {
            var namesRival = named > 0 && random.Next(3) == 0;
            Run(objection, id, k, objections[random.Next(6)], namesRival ? $"Competitor {first:D2}" : null,
                namesRival ? $"competitor{first:D2}" : null, namesRival ? first : null, random.Next(2));
        }
        if (random.Next(2) == 0) Run(message, id, 0, messages[random.Next(5)], resonance[random.Next(3)]);
    }
    tx?.Commit();
}

static SqliteCommand Prepare(SqliteConnection c, string sql, int parameters)
{
    var command = c.CreateCommand();
    command.CommandText = sql;
    for (var i = 0; i < parameters; i++) command.Parameters.Add(new SqliteParameter("@p" + i.ToString(CultureInfo.InvariantCulture), null));
    return command;
}

static void Run(SqliteCommand command, params object?[] values)
{
    for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
    command.ExecuteNonQuery();
}

public static partial class Program
{
    // The same numbers a trend shows, computed straight from the report tables.
    public const string RawCompetitorSql =
        """
        SELECT substr(r.closed_on, 1, 7) AS month, rc.competitor_id, r.currency, COUNT(*) AS deals,
               SUM(r.outcome = 'won') AS won, SUM(r.outcome = 'lost') AS lost, SUM(r.outcome = 'no_decision') AS no_decision,
               SUM(CASE WHEN r.outcome = 'won' THEN r.amount_cents END) AS won_cents, SUM(CASE WHEN r.outcome = 'lost' THEN r.amount_cents END) AS lost_cents
        FROM reports r LEFT JOIN report_competitors rc ON rc.report_id = r.id
        WHERE r.deleted_at IS NULL AND r.closed_on BETWEEN @from AND @to
        GROUP BY 1, 2, 3
        """;
    public const string RawObjectionSql =
        """
        WITH totals AS (
            SELECT substr(closed_on, 1, 7) AS month, COUNT(*) AS all_deals FROM reports
            WHERE deleted_at IS NULL AND closed_on BETWEEN @from AND @to GROUP BY 1)
        SELECT x.month, x.category, x.mentions, x.deals, x.reps, x.overcome, totals.all_deals
        FROM (SELECT substr(r.closed_on, 1, 7) AS month, o.category, COUNT(*) AS mentions, COUNT(DISTINCT o.report_id) AS deals,
                     COUNT(DISTINCT r.rep_id) AS reps, SUM(o.overcome) AS overcome
              FROM report_objections o JOIN reports r ON r.id = o.report_id
              WHERE r.deleted_at IS NULL AND r.closed_on BETWEEN @from AND @to
              GROUP BY 1, 2) x JOIN totals ON totals.month = x.month
        """;
}
