using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>
/// Under concurrent load the writer commits reports in batches, some of whose jobs fail and roll back after recording
/// their change: the read side shows exactly the committed reports (a failed job's change-log row rolls back with it).
/// </summary>
public sealed class ConcurrentWritesReadSideTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly string[] Outcomes = ["won", "lost", "no_decision"];
    private static readonly string[] Names = ["Acme", "Globex", "Initech"];

    [Fact]
    public async Task Concurrent_filing_with_failing_jobs_shows_exactly_the_committed_reports()
    {
        var reps = Enumerable.Range(0, 5).Select(_ => app.SeedUser("rep")).ToList();
        var writer = app.Services.GetRequiredService<Writer>();
        var random = new Random(7);
        var bodies = Enumerable.Range(0, 240).Select(i => Body(random, $"BATCH-{i % 200}")).ToList(); // 40 duplicates → 409

        // Direct writer jobs enqueued back to back (so they share batches): every other one stages its read-model
        // deltas and then fails, as a job does when a later statement throws; the others succeed. Each has a region
        // of its own, so the failing ones also create filter slices that their rollback removes again.
        Task<long> Direct(string deal, string region, int i, bool fail) => writer.ExecuteAsync((c, t) =>
        {
            var report = ReportStore.Insert(c, t, new ReportInput
            {
                DealId = deal, Outcome = "lost", ClosedOn = "2026-03-02", Region = region,
                Reasons = [new ReasonInput { Category = "price" }],
                Objections = [new ObjectionInput { Category = "price", Overcome = false }],
            }, reps[i % reps.Count].UserId, reps[0].UserId, Clock.Now());
            ReportEvents.Written(c, t, report.Id);
            if (fail) throw new InvalidOperationException("fails after staging");
            return report.Id;
        });
        var direct = Enumerable.Range(0, 40).Select(i => Direct($"DIRECT-{i}", $"Direct region {i}", i, fail: i % 2 == 1)).ToList();
        // A filing refused with 503 (the database overloaded: on PostgreSQL, connections that could not be opened in time
        // on a loaded machine) stored nothing and says to retry: it is sent again, as a client does.
        async Task<HttpResponseMessage> File(JsonObject body, int i)
        {
            var response = await app.Client(reps[i % reps.Count].Key).PostReport(body);
            for (var attempt = 0; response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 5; attempt++)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                await Task.Delay(TimeSpan.FromSeconds(1));
                response = await app.Client(reps[i % reps.Count].Key).PostReport(body);
            }
            return response;
        }
        var responses = await Task.WhenAll(bodies.Select(File));
        for (var i = 0; i < direct.Count; i++)
            if (i % 2 == 1) await Assert.ThrowsAsync<InvalidOperationException>(() => direct[i]);
            else await direct[i];

        // Later reports in the regions whose slices were rolled back, and in new regions: a slice id remembered from
        // a rolled-back job would count them under the wrong (or a missing) slice.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Direct($"DIRECT2-{i}", $"Direct region {i}", i, fail: false))
            .Concat(Enumerable.Range(0, 20).Select(i => Direct($"DIRECT3-{i}", $"New region {i}", i, fail: false))));

        var statuses = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).OrderBy(g => g.Key).Select(g => $"{g.Key} × {g.Count()}"));
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.Created) == 200, statuses);
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.Conflict) == 40, statuses);
        using (var db = app.OpenDb())
            Assert.Equal(20, db.ExecuteScalar<int>("SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'DIRECT-%'"));

        // Every filed report is on the read side and no rolled-back one is: the answers equal a count over the reports,
        // before and after a rebuild; a region only rolled-back jobs used is empty.
        var month = new BruteForce.Filter(null, null, null, null, null, "month");
        var expected = await AnswersAsync(month);
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().PostAsync("/api/v1/admin/read-model/rebuild", null)).StatusCode);
        Assert.Equal(expected, await AnswersAsync(month));
        var rolledBackOnly = await (await app.Admin().GetAsync("/api/v1/trends/competitors?region=" + Uri.EscapeDataString("Direct region 1"))).ReadJson();
        Assert.Equal(1, rolledBackOnly["rows"]!.AsArray().Sum(r => r!["deals"]!.GetValue<long>())); // DIRECT2-1 only
    }

    private async Task<string> AnswersAsync(BruteForce.Filter f)
    {
        BruteForce oracle;
        using (var db = app.OpenDb()) oracle = BruteForce.Load(db);
        var competitors = (await (await app.Admin().GetAsync("/api/v1/trends/competitors?" + f.Query())).ReadJson())["rows"]!.AsArray()
            .ToDictionary(r => (r!["period"]!.GetValue<string>(), BruteForce.KeyOf(r["competitor"])),
                r => (r!["deals"]!.GetValue<long>(), r["won"]!.GetValue<long>(), r["lost"]!.GetValue<long>(), r["noDecision"]!.GetValue<long>()));
        Assert.Equal(oracle.CompetitorTrend(f, primaryOnly: false).OrderBy(x => x.Key).ToList(), competitors.OrderBy(x => x.Key).ToList());
        var objections = (await (await app.Admin().GetAsync("/api/v1/trends/objections?" + f.Query())).ReadJson())["rows"]!.AsArray()
            .ToDictionary(r => (r!["period"]!.GetValue<string>(), r["category"]!.GetValue<string>()),
                r => (r!["mentions"]!.GetValue<long>(), r["deals"]!.GetValue<long>(), r["reps"]!.GetValue<long>(), r["allDeals"]!.GetValue<long>()));
        Assert.Equal(oracle.ObjectionTrend(f, null).OrderBy(x => x.Key).ToList(), objections.OrderBy(x => x.Key).ToList());
        return string.Join(";", competitors.OrderBy(x => x.Key)) + "|" + string.Join(";", objections.OrderBy(x => x.Key));
    }

    private static JsonObject Body(Random random, string dealId)
    {
        var outcome = Outcomes[random.Next(3)];
        return new JsonObject
        {
            ["dealId"] = dealId,
            ["outcome"] = outcome,
            ["closedOn"] = new DateOnly(2026, 2, 20).AddDays(random.Next(20)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["amount"] = random.Next(1, 50) * 1000,
            ["currency"] = "USD",
            ["segment"] = random.Next(2) == 0 ? "smb" : "enterprise",
            ["region"] = random.Next(2) == 0 ? "EMEA" : "NA",
            ["competitors"] = new JsonArray(new JsonObject { ["name"] = Names[random.Next(3)], ["primary"] = true }),
            ["reasons"] = new JsonArray(new JsonObject { ["category"] = random.Next(2) == 0 ? "price" : "timing" }),
            ["objections"] = new JsonArray(new JsonObject
            {
                ["category"] = random.Next(2) == 0 ? "price" : "security",
                ["competitor"] = Names[random.Next(3)],
                ["overcome"] = random.Next(2) == 0,
            }),
        };
    }
}
