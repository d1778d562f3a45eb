using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Coverage;

/// <summary>
/// GET /api/v1/diagnostics/data-quality on reports built for the test, team East: Ann, Bob and Dee file 20 lost-deal
/// reports each. Ann names no competitor on 15, gives "other" (without detail) as the primary reason on 10, and files
/// everything 10 days after the close; Bob: 2 without competitor, 2 "other"; Dee: 3 and 2; both file 3 days after.
/// Expected z values by hand: z = (p_rep − p_rest)/√(p̂(1−p̂)(1/n_rep + 1/n_rest)).
/// </summary>
public sealed class DataQualityTests(TestApp app) : IClassFixture<TestApp>
{
    private static string DaysAgo(int days) => DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task File(string name, int noCompetitor, int other, int daysLate)
    {
        var (id, key) = app.SeedUser("rep", $"{name.ToLowerInvariant()}@example.com");
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().PatchAsync($"/api/v1/users/{id}", Http.Json(new { displayName = name, team = "East" }))).StatusCode);
        var client = app.Client(key);
        for (var i = 0; i < 20; i++)
        {
            var response = await client.PostReport(Http.Report($"DQ-{name}-{i}", r =>
            {
                r["closedOn"] = DaysAgo(daysLate);
                if (i < noCompetitor) r.Remove("competitors");
                if (i < other) r["reasons"] = new JsonArray(new JsonObject { ["category"] = "other", ["primary"] = true });
            }));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    private static double D(JsonNode? node) => node!.GetValue<double>();

    [Fact]
    public async Task The_rep_who_skips_competitors_and_picks_other_is_flagged_first_with_the_figures_behind_it()
    {
        await File("Ann", noCompetitor: 15, other: 10, daysLate: 10);
        await File("Bob", noCompetitor: 2, other: 2, daysLate: 3);
        await File("Dee", noCompetitor: 3, other: 2, daysLate: 3);

        var marketing = app.SeedUser("marketing");
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(marketing.Key).GetAsync("/api/v1/diagnostics/data-quality")).StatusCode);
        var response = await app.Admin().GetAsync("/api/v1/diagnostics/data-quality");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJson();
        var reps = body["reps"]!.AsArray();
        Assert.Equal(["Ann", "Bob", "Dee"], reps.Select(r => r!["label"]!.GetValue<string>()).Take(1).Concat(reps.Skip(1).Select(r => r!["label"]!.GetValue<string>()).Order()));

        var ann = reps[0]!;
        Assert.Equal(20, ann["reports"]!.GetValue<long>());
        Assert.Equal(10.0, D(ann["medianDaysToFile"]));
        // No competitor: 15/20 against the rest's 5/40 → z = 4.8412.
        var noCompetitor = ann["metrics"]!["noCompetitor"]!;
        Assert.Equal((15L, 20L, 0.75, 0.125, 40L, 4.8412, true, true),
            (noCompetitor["count"]!.GetValue<long>(), noCompetitor["n"]!.GetValue<long>(), D(noCompetitor["share"]), D(noCompetitor["teamShare"]),
             noCompetitor["teamN"]!.GetValue<long>(), D(noCompetitor["z"]), noCompetitor["flagged"]!.GetValue<bool>(), noCompetitor["worse"]!.GetValue<bool>()));
        // "other" as primary reason and reasons without detail: 10/20 against 4/40 → z = 3.4533; late filing 20/20 against 0/40 → 7.7460.
        Assert.Equal(3.4533, D(ann["metrics"]!["otherPrimaryReason"]!["z"]));
        Assert.Equal((10L, 20L, 3.4533), (ann["metrics"]!["reasonsWithoutDetail"]!["count"]!.GetValue<long>(), ann["metrics"]!["reasonsWithoutDetail"]!["n"]!.GetValue<long>(), D(ann["metrics"]!["reasonsWithoutDetail"]!["z"])));
        Assert.Equal(7.746, D(ann["metrics"]!["lateFiling"]!["z"]));
        Assert.Equal(4, ann["flags"]!.GetValue<int>());

        // Bob names competitors more often than his team (2/20 against 18/40, z = −2.7111): flagged, but not worse.
        var bob = reps.Single(r => r!["label"]!.GetValue<string>() == "Bob")!;
        Assert.Equal((-2.7111, true, false), (D(bob["metrics"]!["noCompetitor"]!["z"]), bob["metrics"]!["noCompetitor"]!["flagged"]!.GetValue<bool>(), bob["metrics"]!["noCompetitor"]!["worse"]!.GetValue<bool>()));
        Assert.Equal(0, bob["flags"]!.GetValue<int>());

        // Every competitor named ("Acme Corp") is unmatched, pending triage: 40 of 40 mentions (60 reports, 20 name none).
        var unmatched = body["overall"]!["metrics"]!["unmatchedCompetitors"]!;
        Assert.Equal((40L, 40L), (unmatched["count"]!.GetValue<long>(), unmatched["n"]!.GetValue<long>()));
        Assert.Equal("East", body["teams"]![0]!["key"]!.GetValue<string>());
    }
}
