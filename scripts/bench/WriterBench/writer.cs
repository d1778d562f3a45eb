#:project ../../../src/WinLoss.Api/WinLoss.Api.csproj
#:property PublishAot=false
// Writer cost per filed report: the FileReport handler (idempotency key, report, child rows, version, read model)
// through the real Writer in batches of BATCH concurrent reports, against a baseline in the same run: a minimal durable
// write (one row of one integer, same savepoint, commit and fsync). Prints process CPU per job for both and the ratio.
using System.Diagnostics;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

var batch = int.Parse(Environment.GetEnvironmentVariable("BATCH") ?? "16", System.Globalization.CultureInfo.InvariantCulture);
var perRound = int.Parse(Environment.GetEnvironmentVariable("N") ?? "8000", System.Globalization.CultureInfo.InvariantCulture);
var dir = Directory.CreateTempSubdirectory("winloss-writer-bench").FullName;
try
{
    var db = new Db(Path.Combine(dir, "bench.db"));
    Migrator.Migrate(db, NullLogger.Instance);
    using (var c = db.Open())
        c.Execute("INSERT INTO users (email, display_name, role, created_at) VALUES ('rep@bench', 'Rep', 'rep', '2026-01-01T00:00:00Z'); " +
                  "CREATE TABLE bench_minimal (id INTEGER PRIMARY KEY);");
    var input = new ReportInput
    {
        DealId = "X", Outcome = "lost", ClosedOn = "2026-10-15", Amount = 25000, Currency = "USD", Segment = "mid_market",
        StageReached = "proposal", Region = "EMEA", Product = "Platform", LeadSource = "webinar", LeadQuality = 3,
        Competitors = [new CompetitorInput { Name = "Acme Corp", Primary = true }],
        Reasons = [new ReasonInput { Category = "price", Detail = "20% cheaper", Primary = true }],
        Objections = [new ObjectionInput { Category = "price", Competitor = "Acme", Text = "too expensive", Overcome = false }],
        Notes = "Lost on price after a long proposal stage.",
    };
    await using var writer = new Writer(db, NullLogger<Writer>.Instance);
    var handler = new FileReportHandler(writer, new IdempotencyKeys());
    var caller = new Caller(1, Roles.Rep, 1);

    async Task<double> Measure(string label, int round, Func<string, Task> one)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var b = 0; b < perRound / batch; b++)
            await Task.WhenAll(Enumerable.Range(0, batch).Select(i => one($"{label}-{round}-{b}-{i}")));
        return (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / perRound;
    }
    Task File(string deal) => handler.Handle(new FileReport(input with { DealId = deal }, caller, deal,
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(deal))), default).AsTask();
    Task Minimal(string _) => writer.ExecuteAsync((c, t) => { c.Exec(t, "INSERT INTO bench_minimal DEFAULT VALUES"); });

    var reports = new List<double>();
    var empties = new List<double>();
    for (var round = 0; round < 6; round++)
    {
        var r = await Measure("report", round, File);
        var e = await Measure("minimal", round, Minimal);
        if (round >= 2) { reports.Add(r); empties.Add(e); } // rounds 0-1 warm up (JIT tiers)
    }
    double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
    var (report, empty) = (Median(reports), Median(empties));
    Console.WriteLine($"writer, batches of {batch}: filed report {report:F0} us CPU each; minimal durable write {empty:F0} us; ratio {report / empty:F1}x");
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(dir, recursive: true);
}
