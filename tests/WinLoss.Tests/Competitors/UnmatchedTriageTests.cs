using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Competitors;

/// <summary>The analyst's triage flow over HTTP: unknown names are listed with counts and suggestions, mapping fixes history.</summary>
public sealed class UnmatchedTriageTests(TestApp app) : IClassFixture<TestApp>
{
    private async Task<long> File(string key, string dealId, string closedOn, params string[] competitors)
    {
        var body = Http.Report(dealId, b =>
        {
            b["closedOn"] = closedOn;
            b["competitors"] = new JsonArray(competitors.Select(c => (JsonNode)new JsonObject { ["name"] = c }).ToArray());
            b["objections"] = new JsonArray();
        });
        var response = await app.Client(key).PostReport(body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJson())["id"]!.GetValue<long>();
    }

    private async Task<JsonNode> Unmatched(string? key = null) =>
        await (await (key is null ? app.Admin() : app.Client(key)).GetAsync("/api/v1/competitors/unmatched")).ReadJson();

    [Fact]
    public async Task Unknown_names_are_triaged_to_a_competitor_or_a_new_one_and_history_follows()
    {
        var admin = app.Admin();
        var (_, analyst) = app.SeedUser("analyst");
        var (_, rep) = app.SeedUser("rep");
        var salesforce = (await (await admin.PostAsync("/api/v1/competitors", Http.Json(new { name = "Salesforce", aliases = new[] { "SFDC" } }))).ReadJson())["id"]!.GetValue<long>();
        var hubspot = (await (await admin.PostAsync("/api/v1/competitors", Http.Json(new { name = "HubSpot" }))).ReadJson())["id"]!.GetValue<long>();

        // Three reports misspell Salesforce the same way (one key, three spellings), one names Pipedrive, one a known alias.
        var r1 = await File(rep, "TR-1", "2026-03-02", "Salesforse");
        var r2 = await File(rep, "TR-2", "2026-01-15", "salesforse", "HubSpot");
        var r3 = await File(rep, "TR-3", "2026-05-20", "Salesforse Inc.");
        var r4 = await File(rep, "TR-4", "2026-04-01", "Salesforse");
        var r5 = await File(rep, "TR-5", "2026-02-10", "Pipedrive OÜ");
        await File(rep, "TR-6", "2026-02-11", "sfdc");

        // Reps may look at the list too.
        var list = await Unmatched(rep);
        Assert.Equal(2, list["total"]!.GetValue<int>());
        var items = list["items"]!.AsArray();
        Assert.Equal(2, items.Count);

        var misspelt = items[0]!;
        Assert.Equal("salesforse", misspelt["key"]!.GetValue<string>());
        Assert.Equal(4, misspelt["reports"]!.GetValue<int>());
        Assert.Equal("Salesforse", misspelt["name"]!.GetValue<string>()); // most common spelling (2 of 4)
        Assert.Equal("2026-01-15", misspelt["firstSeen"]!.GetValue<string>());
        Assert.Equal("2026-05-20", misspelt["lastSeen"]!.GetValue<string>());
        var spellings = misspelt["spellings"]!.AsArray().Select(s => (s!["name"]!.GetValue<string>(), s["reports"]!.GetValue<int>())).ToList();
        Assert.Equal([("Salesforse", 2), ("Salesforse Inc.", 1), ("salesforse", 1)], spellings);
        var best = misspelt["suggestions"]![0]!;
        Assert.Equal(salesforce, best["competitorId"]!.GetValue<long>());
        Assert.Equal("Salesforce", best["name"]!.GetValue<string>());
        Assert.Equal(0.9, best["score"]!.GetValue<double>()); // one letter in ten differs
        Assert.DoesNotContain(misspelt["suggestions"]!.AsArray(), s => s!["competitorId"]!.GetValue<long>() == hubspot);

        var pipedrive = items[1]!;
        Assert.Equal("pipedrive", pipedrive["key"]!.GetValue<string>());
        Assert.Equal(1, pipedrive["reports"]!.GetValue<int>());
        Assert.Equal("2026-02-10", pipedrive["firstSeen"]!.GetValue<string>());
        Assert.Empty(pipedrive["suggestions"]!.AsArray());

        // Reps cannot map.
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(rep).PostAsync("/api/v1/competitors/unmatched/map",
            Http.Json(new { name = "Salesforse", competitorId = salesforce }))).StatusCode);

        // Map the misspelling to Salesforce (as an alias): every past report follows.
        var mapped = await app.Client(analyst).PostAsync("/api/v1/competitors/unmatched/map", Http.Json(new { name = "Salesforse", competitorId = salesforce }));
        Assert.Equal(HttpStatusCode.OK, mapped.StatusCode);
        var result = await mapped.ReadJson();
        Assert.Equal(4, result["reportsReattributed"]!.GetValue<int>());
        Assert.Contains("Salesforse", result["competitor"]!["aliases"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(5, result["competitor"]!["reportCount"]!.GetValue<int>()); // 4 re-attributed + the "sfdc" one
        foreach (var id in new[] { r1, r2, r3, r4 })
        {
            var report = await (await app.Client(rep).GetAsync($"/api/v1/reports/{id}")).ReadJson();
            var named = report["competitors"]!.AsArray().First(c => c!["name"]!.GetValue<string>().StartsWith("Salesforse", StringComparison.OrdinalIgnoreCase))!;
            Assert.True(named["matched"]!.GetValue<bool>());
            Assert.Equal(salesforce, named["competitorId"]!.GetValue<long>());
        }

        list = await Unmatched();
        Assert.Equal(["pipedrive"], list["items"]!.AsArray().Select(i => i!["key"]!.GetValue<string>()));

        // Map Pipedrive to a new competitor.
        var created = await (await app.Client(analyst).PostAsync("/api/v1/competitors/unmatched/map",
            Http.Json(new { name = "Pipedrive OÜ", newCompetitor = true }))).ReadJson();
        var pipedriveId = created["competitor"]!["id"]!.GetValue<long>();
        Assert.Equal("Pipedrive OÜ", created["competitor"]!["name"]!.GetValue<string>());
        Assert.Equal(1, created["reportsReattributed"]!.GetValue<int>());
        using (var db = app.OpenDb())
            Assert.Equal(pipedriveId, db.ExecuteScalar<long?>("SELECT competitor_id FROM report_competitors WHERE report_id = @r5", new { r5 }));

        list = await Unmatched();
        Assert.Empty(list["items"]!.AsArray());
        Assert.Equal(0, list["total"]!.GetValue<int>());

        // New reports with the mapped spellings resolve straight away.
        var later = await (await app.Client(rep).PostReport(Http.Report("TR-7", b =>
            b["competitors"] = new JsonArray(new JsonObject { ["name"] = "SALESFORSE" })))).ReadJson();
        Assert.Equal(salesforce, later["competitors"]![0]!["competitorId"]!.GetValue<long>());
    }

    [Fact]
    public async Task Deleted_reports_do_not_count_as_unmatched()
    {
        await using var app2 = new TestApp();
        await app2.InitializeAsync();
        var (_, rep) = app2.SeedUser("rep");
        var response = await app2.Client(rep).PostReport(Http.Report("DEL-1", b => b["competitors"] = new JsonArray(new JsonObject { ["name"] = "Ghost Corp" })));
        var id = (await response.ReadJson())["id"]!.GetValue<long>();
        var before = await (await app2.Admin().GetAsync("/api/v1/competitors/unmatched")).ReadJson();
        Assert.Contains(before["items"]!.AsArray(), i => i!["key"]!.GetValue<string>() == "ghost");
        Assert.Equal(HttpStatusCode.NoContent, (await app2.Admin().DeleteAsync($"/api/v1/reports/{id}?reason=test")).StatusCode);
        var after = await (await app2.Admin().GetAsync("/api/v1/competitors/unmatched")).ReadJson();
        Assert.DoesNotContain(after["items"]!.AsArray(), i => i!["key"]!.GetValue<string>() == "ghost");
    }

    [Fact]
    public async Task A_name_in_a_report_and_in_its_objection_counts_one_report_and_both_are_mapped()
    {
        await using var app2 = new TestApp();
        await app2.InitializeAsync();
        var (_, rep) = app2.SeedUser("rep");
        var body = Http.Report("OBJ-1", b =>
        {
            b["competitors"] = new JsonArray(new JsonObject { ["name"] = "Brightline" });
            b["objections"] = new JsonArray(
                new JsonObject { ["category"] = "price", ["competitor"] = "BrightLine Inc.", ["overcome"] = false },
                new JsonObject { ["category"] = "security", ["competitor"] = "brightline", ["overcome"] = true });
        });
        var id = (await (await app2.Client(rep).PostReport(body)).ReadJson())["id"]!.GetValue<long>();
        var only = (await (await app2.Admin().GetAsync("/api/v1/competitors/unmatched")).ReadJson())["items"]![0]!;
        Assert.Equal(1, only["reports"]!.GetValue<int>());
        Assert.Equal(3, only["spellings"]!.AsArray().Count);

        var mapped = await (await app2.Admin().PostAsync("/api/v1/competitors/unmatched/map", Http.Json(new { name = "Brightline", newCompetitor = true }))).ReadJson();
        var competitorId = mapped["competitor"]!["id"]!.GetValue<long>();
        Assert.Equal(1, mapped["reportsReattributed"]!.GetValue<int>());
        var report = await (await app2.Admin().GetAsync($"/api/v1/reports/{id}")).ReadJson();
        Assert.All(report["objections"]!.AsArray(), o => Assert.Equal(competitorId, o!["competitorId"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("""{"name":"Foo"}""", "competitorId")]
    [InlineData("""{"name":"Foo","competitorId":1,"newCompetitor":true}""", "competitorId")]
    [InlineData("""{"name":"Foo","competitorId":987654}""", "competitorId")]
    [InlineData("""{"competitorId":1}""", "name")]
    [InlineData("""{"name":"Foo","newCompetitor":"yes"}""", "newCompetitor")]
    public async Task Bad_map_requests_are_400_naming_the_field(string json, string field)
    {
        var response = await app.Admin().PostAsync("/api/v1/competitors/unmatched/map", Http.Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey(field), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Mapping_a_name_that_belongs_to_another_competitor_is_409()
    {
        var a = (await (await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "Conflict One" }))).ReadJson())["id"]!.GetValue<long>();
        var b = (await (await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "Conflict Two" }))).ReadJson())["id"]!.GetValue<long>();
        var response = await app.Admin().PostAsync("/api/v1/competitors/unmatched/map", Http.Json(new { name = "conflict-one", competitorId = b }));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(a, (await response.ReadJson())["competitorId"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Admin().GetAsync("/api/v1/competitors/unmatched?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Admin().GetAsync("/api/v1/competitors/unmatched?limit=ten")).StatusCode);
    }
}
