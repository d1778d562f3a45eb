using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Features.Coverage;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Coverage;

/// <summary>
/// GET /api/v1/trends/coverage on a pipeline built for the test: three reps with 30 won and 30 lost closed deals each.
/// Ann (team East, enterprise) reports all her wins and a third of her losses; Bob (East, smb) and Cid (West, smb)
/// report two thirds of each. Expected figures worked out by hand in the comments.
/// </summary>
public sealed class CoverageApiTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly string ClosedOn = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task<(long Id, string Key)> Rep(string name, string team)
    {
        var (id, key) = app.SeedUser("rep", $"{name.ToLowerInvariant()}@example.com");
        var patched = await app.Admin().PatchAsync($"/api/v1/users/{id}", Http.Json(new { displayName = name, team }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        return (id, key);
    }

    private async Task Pipeline(string name, string key, string segment, int winsReported, int lossesReported)
    {
        var deals = new JsonArray();
        for (var i = 0; i < 30; i++)
        {
            deals.Add(new JsonObject { ["dealId"] = $"{name}-W{i}", ["outcome"] = "won", ["closedOn"] = ClosedOn, ["rep"] = $"{name.ToLowerInvariant()}@example.com", ["segment"] = segment });
            deals.Add(new JsonObject { ["dealId"] = $"{name}-L{i}", ["outcome"] = "lost", ["closedOn"] = ClosedOn, ["rep"] = $"{name.ToLowerInvariant()}@example.com", ["segment"] = segment });
        }
        var pushed = await (await app.Admin().PostAsync("/api/v1/deals/closed/batch", Http.Json(new JsonObject { ["deals"] = deals }.ToJsonString()))).ReadJson();
        Assert.Equal(60, pushed["created"]!.GetValue<int>());
        var client = app.Client(key);
        for (var i = 0; i < winsReported; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostReport(Http.Report($"{name}-W{i}", r => { r["outcome"] = "won"; r["closedOn"] = ClosedOn; r["segment"] = segment; r.Remove("reasons"); }))).StatusCode);
        for (var i = 0; i < lossesReported; i++)
            Assert.Equal(HttpStatusCode.Created, (await client.PostReport(Http.Report($"{name}-L{i}", r => { r["closedOn"] = ClosedOn; r["segment"] = segment; }))).StatusCode);
    }

    private async Task Seed()
    {
        using (var db = app.OpenDb())
            if (db.ExecuteScalar<long>("SELECT COUNT(*) FROM closed_deals") > 0) return;
        var ann = await Rep("Ann", "East");
        var bob = await Rep("Bob", "East");
        var cid = await Rep("Cid", "West");
        await Pipeline("Ann", ann.Key, "enterprise", 30, 10);
        await Pipeline("Bob", bob.Key, "smb", 20, 20);
        await Pipeline("Cid", cid.Key, "smb", 20, 20);
    }

    private static double D(JsonNode? node) => node!.GetValue<double>();

    [Fact]
    public async Task The_rep_who_reports_all_wins_and_a_third_of_losses_gets_the_bias_warning_and_the_others_do_not()
    {
        await Seed();
        var response = await app.Admin().GetAsync("/api/v1/trends/coverage");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJson();
        var reps = body["reps"]!.AsArray().ToDictionary(r => r!["label"]!.GetValue<string>(), r => r!);

        // Ann: wins 30/30, losses 10/30 → p̂ = 2/3, z = (1 − 1/3)/√(2/9 · 2/30) = √30 = 5.4772.
        var ann = reps["Ann"]["bias"]!;
        Assert.Equal((1.0, 0.3333, 5.4772, true), (D(ann["winCoverage"]), D(ann["lossCoverage"]), D(ann["z"]), ann["warning"]!.GetValue<bool>()));
        // Bob and Cid: 20/30 of each → z = 0.
        foreach (var name in new[] { "Bob", "Cid" })
            Assert.Equal((0.0, false), (D(reps[name]["bias"]!["z"]), reps[name]["bias"]!["warning"]!.GetValue<bool>()));
        Assert.Equal("Ann", body["reps"]![0]!["label"]!.GetValue<string>()); // warnings first

        // Ann's coverage: 40 of 60; Wilson: p = 2/3, z² = 3.8416, centre = (.666667 + .032013)/1.064027 = .656634,
        // half = 1.842058·√(.0037037 + .0002668) = .116065 → [.5406, .7727].
        var coverage = reps["Ann"]["coverage"]!;
        Assert.Equal((60L, 40L, 0.6667), (coverage["known"]!.GetValue<long>(), coverage["reported"]!.GetValue<long>(), D(coverage["rate"])));
        Assert.Equal([0.5406, 0.7727], coverage["ci95"]!.AsArray().Select(D));
        Assert.Equal(3.0, D(reps["Ann"]["medianDaysToReport"])); // every report filed 3 days after the close

        // Overall: wins 70/90, losses 50/90 → p̂ = 2/3, z = (20/90)/√(2/9 · 2/90) = 3.1623: the whole pipeline is biased.
        var overall = body["overall"]!;
        Assert.Equal((180L, 120L), (overall["coverage"]!["known"]!.GetValue<long>(), overall["coverage"]!["reported"]!.GetValue<long>()));
        Assert.Equal((0.7778, 0.5556, 3.1623, true), (D(overall["bias"]!["winCoverage"]), D(overall["bias"]!["lossCoverage"]), D(overall["bias"]!["z"]), overall["bias"]!["warning"]!.GetValue<bool>()));
        Assert.Equal((90L, 50L), (overall["outcomes"]!["lost"]!["coverage"]!["known"]!.GetValue<long>(), overall["outcomes"]!["lost"]!["coverage"]!["reported"]!.GetValue<long>()));
        var warnings = body["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("All reps: 78% of won deals reported but 56% of lost deals", warnings[0]);
        Assert.StartsWith("Ann: 100% of won deals reported but 33% of lost deals", warnings[1]);

        // Teams: East = Ann + Bob = 80 of 120, West = Cid = 40 of 60; segments: enterprise 40/60, smb 80/120.
        var teams = body["teams"]!.AsArray().ToDictionary(t => t!["key"]!.GetValue<string>(), t => t!["coverage"]!["reported"]!.GetValue<long>());
        Assert.Equal(new Dictionary<string, long> { ["East"] = 80, ["West"] = 40 }, teams);
        var segments = body["segments"]!.AsArray().ToDictionary(t => t!["key"]!.GetValue<string>(), t => t!["coverage"]!["known"]!.GetValue<long>());
        Assert.Equal(new Dictionary<string, long> { ["enterprise"] = 60, ["smb"] = 120 }, segments);
        Assert.Single(body["periods"]!.AsArray());
    }

    [Fact]
    public async Task Filters_narrow_the_deals_and_bad_parameters_are_400_naming_them()
    {
        await Seed();
        var east = await (await app.Admin().GetAsync("/api/v1/trends/coverage?team=East&segment=smb")).ReadJson();
        Assert.Equal((60L, 40L), (east["overall"]!["coverage"]!["known"]!.GetValue<long>(), east["overall"]!["coverage"]!["reported"]!.GetValue<long>()));
        var future = await (await app.Admin().GetAsync("/api/v1/trends/coverage?from=2099-01-01")).ReadJson();
        Assert.Equal(0L, future["overall"]!["coverage"]!["known"]!.GetValue<long>());
        Assert.Null(future["overall"]!["coverage"]!["rate"]);

        foreach (var (query, field) in new[] { ("from=yesterday", "from"), ("granularity=day", "granularity"), ("segment=huge", "segment"), ("minSample=0", "minSample"), ("repId=x", "repId") })
        {
            var bad = await app.Admin().GetAsync("/api/v1/trends/coverage?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.NotNull((await bad.ReadJson())["errors"]![field]);
        }
    }

    [Fact]
    public async Task A_trend_slice_says_what_share_of_its_closed_deals_it_rests_on()
    {
        await Seed();
        var trendCoverage = app.Services.GetRequiredService<TrendCoverage>();
        // Lost deals: Ann 10 + Bob 20 + Cid 20 = 50 of 90 reported.
        var lost = await trendCoverage.ForAsync(new TrendSlice(null, null, Outcome: "lost"), TestContext.Current.CancellationToken);
        Assert.Equal("based on 56% of closed-lost deals (50 of 90)", lost!.Text);
        Assert.Equal((90L, 50L), (lost.Coverage.Known, lost.Coverage.Reported));
        var enterprise = await trendCoverage.ForAsync(new TrendSlice(null, null, Segment: "enterprise", Stage: "demo"), TestContext.Current.CancellationToken);
        Assert.Equal("based on 67% of closed deals (40 of 60)", enterprise!.Text);
        Assert.Equal(["stage"], enterprise.IgnoredFilters);
        Assert.True(enterprise.Bias.Warning); // Ann's pipeline alone
        Assert.Null(await trendCoverage.ForAsync(new TrendSlice(new DateOnly(2001, 1, 1), new DateOnly(2001, 12, 31)), TestContext.Current.CancellationToken));

        // The trend handlers' own filter: wins in smb are Bob's and Cid's, 20 + 20 of 60 reported.
        var filter = new WinLoss.Api.Features.Trends.TrendFilter(null, null, "smb", null, null, null, null, WinLoss.Api.Features.Trends.Granularity.Month, 20);
        var wins = await trendCoverage.ForAsync(filter, "won", "c1", TestContext.Current.CancellationToken);
        Assert.Equal("based on 67% of closed-won deals (40 of 60)", wins!.Text);
        Assert.Equal(["competitor"], wins.IgnoredFilters);
    }

    [Fact]
    public async Task Competitor_reason_and_objection_trends_say_what_share_of_closed_deals_they_rest_on()
    {
        await Seed();
        var reasons = await (await app.Admin().GetAsync("/api/v1/trends/reasons?outcome=lost")).ReadJson();
        Assert.Equal("based on 56% of closed-lost deals (50 of 90)", reasons["coverage"]!["text"]!.GetValue<string>());
        var competitors = await (await app.Admin().GetAsync("/api/v1/trends/competitors?segment=enterprise&stage=demo")).ReadJson();
        Assert.Equal("based on 67% of closed deals (40 of 60)", competitors["coverage"]!["text"]!.GetValue<string>());
        var objections = await (await app.Admin().GetAsync("/api/v1/trends/objections")).ReadJson();
        Assert.NotNull(objections["coverage"]!["text"]);
        // No closed deal known in the range: no coverage claimed.
        var old = await (await app.Admin().GetAsync("/api/v1/trends/competitors?from=2001-01-01&to=2001-12-31")).ReadJson();
        Assert.Null(old["coverage"]);
    }

    [Fact]
    public async Task Coverage_as_csv_has_a_row_per_group_and_outcome_and_reps_may_not_export_it()
    {
        await Seed();
        var response = await app.Admin().GetAsync("/api/v1/trends/coverage?format=csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("group,key,label,team,outcome,known,reported,coverage,ci_low,ci_high,low_sample,median_days_to_report,win_coverage,loss_coverage,bias_z,bias_warning", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("rep,", StringComparison.Ordinal) && l.Contains(",Ann,East,all,60,40,0.6667,0.5406,0.7727,false,3,1,0.3333,5.4772,true", StringComparison.Ordinal));
        // 1 overall + 1 period + 3 reps + 2 teams + 2 segments = 9 groups, 4 rows each.
        Assert.Equal(1 + 9 * 4, lines.Length);
        var rep = app.SeedUser("rep");
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(rep.Key).GetAsync("/api/v1/trends/coverage?format=csv")).StatusCode);
    }
}
