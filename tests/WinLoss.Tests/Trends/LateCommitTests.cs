using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>
/// PostgreSQL hands out sequence values before commit: a write can take change-log seq n, another take n + 1 and commit
/// first. A projector that kept "the last seq applied" would read n + 1, move past n and never apply it. The read side
/// keeps a transaction-id watermark instead; this test makes exactly that interleaving happen and checks the late
/// commit is counted.
/// </summary>
[Trait("Engine", "PostgreSql")]
public sealed class LateCommitTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task A_change_that_commits_after_a_later_one_was_applied_is_still_applied()
    {
        var rep = app.SeedUser("rep");
        var writer = app.Services.GetRequiredService<Writer>();
        using var inserted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        // Write 1: inserts its report (taking the lower seq) and holds its transaction open.
        var early = Task.Run(() => writer.ExecuteAsync((c, t) =>
        {
            var report = ReportStore.Insert(c, t, new ReportInput
            {
                DealId = "LATE-EARLY", Outcome = "won", ClosedOn = "2026-03-02", Region = "Late",
                Reasons = [new ReasonInput { Category = "price" }],
            }, rep.UserId, rep.UserId, Clock.Now());
            ReportEvents.Written(c, t, report.Id);
            inserted.Set();
            if (!release.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("never released");
            return report.Id;
        }));
        Assert.True(inserted.Wait(TimeSpan.FromSeconds(30)), "the first write did not start");

        // Write 2 takes the next seq and commits first; a trend query then applies everything committed so far.
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep.Key).PostReport(Http.Report("LATE-LATER", b => b["region"] = "Late"))).StatusCode);
        using (var db = app.OpenDb())
        {
            var seqs = db.Query<long>(
                "SELECT c.seq FROM read_changes c JOIN reports r ON r.id = c.entity_id WHERE c.entity = 'report' AND r.deal_id = 'LATE-LATER'").ToList();
            Assert.Single(seqs);
        }
        Assert.Equal(1, await DealsInRegionAsync());

        release.Set();
        await early;
        using (var db = app.OpenDb())
        {
            var (earlySeq, laterSeq) = db.QuerySingle<(long, long)>(
                """
                SELECT (SELECT c.seq FROM read_changes c JOIN reports r ON r.id = c.entity_id WHERE c.entity = 'report' AND r.deal_id = 'LATE-EARLY'),
                       (SELECT c.seq FROM read_changes c JOIN reports r ON r.id = c.entity_id WHERE c.entity = 'report' AND r.deal_id = 'LATE-LATER')
                """);
            Assert.True(earlySeq < laterSeq, $"the interleaving did not happen (seq {earlySeq} vs {laterSeq})");
        }
        Assert.Equal(2, await DealsInRegionAsync()); // the late commit, with the lower seq, is counted
    }

    private async Task<long> DealsInRegionAsync()
    {
        var trend = await (await app.Admin().GetAsync("/api/v1/trends/competitors?region=Late")).ReadJson();
        return trend["overall"]!.AsArray().Sum(r => r!["deals"]!.GetValue<long>());
    }
}
