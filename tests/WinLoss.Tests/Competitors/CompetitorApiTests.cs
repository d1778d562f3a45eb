using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Competitors;

public sealed class CompetitorApiTests(TestApp app) : IClassFixture<TestApp>
{
    private static async Task<JsonNode> Created(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJson();
    }

    private async Task<long> CreateCompetitor(string name, params string[] aliases) =>
        (await Created(await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name, aliases }))))["id"]!.GetValue<long>();

    private async Task<long> FileReport(string key, string dealId, string competitor, string? objectionCompetitor = null)
    {
        var body = Http.Report(dealId, b =>
        {
            b["competitors"] = new JsonArray(new JsonObject { ["name"] = competitor, ["primary"] = true });
            b["objections"] = new JsonArray(new JsonObject { ["category"] = "price", ["competitor"] = objectionCompetitor ?? competitor, ["overcome"] = false });
        });
        return (await Created(await app.Client(key).PostReport(body)))["id"]!.GetValue<long>();
    }

    private (long? Competitor, long? Objection) StoredIds(long reportId)
    {
        using var db = app.OpenDb();
        return (db.ExecuteScalar<long?>("SELECT competitor_id FROM report_competitors WHERE report_id = @reportId", new { reportId }),
                db.ExecuteScalar<long?>("SELECT competitor_id FROM report_objections WHERE report_id = @reportId", new { reportId }));
    }

    private async Task<JsonNode> GetReport(long id) => await (await app.Admin().GetAsync($"/api/v1/reports/{id}")).ReadJson();

    [Fact]
    public async Task Creating_a_competitor_returns_it_with_aliases_and_every_role_can_read_it()
    {
        var response = await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "Salesforce", aliases = new[] { "SFDC", "salesforce.com", "Sales Force" } }));
        var body = await Created(response);
        var id = body["id"]!.GetValue<long>();
        Assert.Equal($"/api/v1/competitors/{id}", response.Headers.Location!.ToString());
        Assert.Equal("Salesforce", body["name"]!.GetValue<string>());
        // "salesforce.com" and "Sales Force" have the same key as the name itself: nothing to add.
        Assert.Equal(["SFDC"], body["aliases"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Null(body["mergedIntoId"]);

        foreach (var role in new[] { "rep", "marketing", "analyst" })
        {
            var (_, key) = app.SeedUser(role);
            var list = await (await app.Client(key).GetAsync("/api/v1/competitors")).ReadJson();
            Assert.Contains(list["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == id);
            Assert.Equal(HttpStatusCode.OK, (await app.Client(key).GetAsync($"/api/v1/competitors/{id}")).StatusCode);
        }
        using var db = app.OpenDb();
        Assert.Equal(2, db.ExecuteScalar<int>("SELECT COUNT(*) FROM competitor_aliases WHERE competitor_id = @id", new { id }));
    }

    [Theory]
    [InlineData("rep")]
    [InlineData("marketing")]
    public async Task Reps_and_marketing_may_not_change_competitors(string role)
    {
        var (_, key) = app.SeedUser(role);
        var client = app.Client(key);
        var id = await CreateCompetitor($"Readonly {role}");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/v1/competitors", Http.Json(new { name = $"New {role}" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"/api/v1/competitors/{id}/aliases", Http.Json(new { alias = "x" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync($"/api/v1/competitors/{id}/merge", Http.Json(new { intoId = 1 }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/v1/competitors/unmatched/map", Http.Json(new { name = "x", newCompetitor = true }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/competitors/unmatched")).StatusCode);
    }

    [Fact]
    public async Task An_alias_that_resolves_to_another_competitor_is_409_naming_it()
    {
        var hubspot = await CreateCompetitor("HubSpot", "HS");
        var zoho = await CreateCompetitor("Zoho Corp");

        var alias = await app.Admin().PostAsync($"/api/v1/competitors/{zoho}/aliases", Http.Json(new { alias = "Hubspot, Inc." }));
        Assert.Equal(HttpStatusCode.Conflict, alias.StatusCode);
        var problem = await alias.ReadJson();
        Assert.Equal(hubspot, problem["competitorId"]!.GetValue<long>());
        Assert.Equal("HubSpot", problem["competitorName"]!.GetValue<string>());
        Assert.Contains("HubSpot", problem["detail"]!.GetValue<string>());

        var create = await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "Freshsales", aliases = new[] { "hs" } }));
        Assert.Equal(HttpStatusCode.Conflict, create.StatusCode);
        Assert.Equal("aliases[0]", (await create.ReadJson())["field"]!.GetValue<string>());
        var sameName = await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "ZOHO" }));
        Assert.Equal(HttpStatusCode.Conflict, sameName.StatusCode);
        Assert.Equal(zoho, (await sameName.ReadJson())["competitorId"]!.GetValue<long>());

        using var db = app.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<int>("SELECT COUNT(*) FROM competitors WHERE name = 'Freshsales'"));
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM competitor_aliases WHERE competitor_id = @zoho", new { zoho }));
    }

    [Fact]
    public async Task Adding_an_alias_is_201_then_200_when_repeated()
    {
        var id = await CreateCompetitor("Pipedrive");
        var first = await app.Admin().PostAsync($"/api/v1/competitors/{id}/aliases", Http.Json(new { alias = "Pipe Drive OÜ" }));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode); // same key as the name: already resolves here
        var second = await app.Admin().PostAsync($"/api/v1/competitors/{id}/aliases", Http.Json(new { alias = "PD CRM" }));
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(["PD CRM"], (await second.ReadJson())["aliases"]!.AsArray().Select(a => a!.GetValue<string>()));
        var again = await app.Admin().PostAsync($"/api/v1/competitors/{id}/aliases", Http.Json(new { alias = "pd-crm" }));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Theory]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":"---"}""", "name")]
    [InlineData("""{"name":"Acme","aliases":["ok","  "]}""", "aliases[1]")]
    [InlineData("""{"name":"Acme","colour":"red"}""", "colour")]
    [InlineData("""{"name":5}""", "name")]
    public async Task Bad_competitor_bodies_are_400_naming_the_field(string json, string field)
    {
        var response = await app.Admin().PostAsync("/api/v1/competitors", Http.Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey(field));
    }

    [Fact]
    public async Task A_new_competitor_and_a_new_alias_re_attribute_past_reports_at_once()
    {
        var (_, rep) = app.SeedUser("rep");
        var report1 = await FileReport(rep, "RA-1", "Zendesk, Inc.");
        var report2 = await FileReport(rep, "RA-2", "ZD", objectionCompetitor: "zendesk");
        Assert.Equal((null, null), StoredIds(report1));
        Assert.False((await GetReport(report1))["competitors"]![0]!["matched"]!.GetValue<bool>());

        var created = await Created(await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "Zendesk" })));
        var zendesk = created["id"]!.GetValue<long>();
        Assert.Equal(1, created["reportCount"]!.GetValue<int>());
        Assert.Equal((zendesk, zendesk), StoredIds(report1));
        Assert.Equal((null, zendesk), StoredIds(report2)); // "ZD" is not known yet; the objection's "zendesk" is

        var shown = await GetReport(report1);
        Assert.Equal("Zendesk, Inc.", shown["competitors"]![0]!["name"]!.GetValue<string>()); // kept as written
        Assert.True(shown["competitors"]![0]!["matched"]!.GetValue<bool>());
        Assert.Equal(zendesk, shown["competitors"]![0]!["competitorId"]!.GetValue<long>());
        Assert.Equal(zendesk, shown["objections"]![0]!["competitorId"]!.GetValue<long>());
        Assert.Equal(1, shown["version"]!.GetValue<int>()); // re-attribution is not an amendment

        await Created(await app.Admin().PostAsync($"/api/v1/competitors/{zendesk}/aliases", Http.Json(new { alias = "ZD" })));
        Assert.Equal((zendesk, zendesk), StoredIds(report2));
        var detail = await (await app.Admin().GetAsync($"/api/v1/competitors/{zendesk}")).ReadJson();
        Assert.Equal(2, detail["reportCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Merging_moves_aliases_and_reports_and_leaves_a_tombstone()
    {
        var (_, rep) = app.SeedUser("rep");
        var freshdesk = await CreateCompetitor("Freshdesk", "FD");
        var freshworks = await CreateCompetitor("Freshworks Inc");
        var both = await FileReport(rep, "MG-1", "Freshdesk", objectionCompetitor: "FD");
        var viaAlias = await FileReport(rep, "MG-2", "FD");
        var other = await FileReport(rep, "MG-3", "Freshworks");
        Assert.Equal((freshdesk, freshdesk), StoredIds(both));

        var merge = await app.Admin().PostAsync($"/api/v1/competitors/{freshdesk}/merge", Http.Json(new { intoId = freshworks }));
        Assert.Equal(HttpStatusCode.OK, merge.StatusCode);
        var survivor = await merge.ReadJson();
        Assert.Equal(freshworks, survivor["id"]!.GetValue<long>());
        Assert.Equal(["FD", "Freshdesk"], survivor["aliases"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(3, survivor["reportCount"]!.GetValue<int>());

        Assert.Equal((freshworks, freshworks), StoredIds(both));
        Assert.Equal((freshworks, freshworks), StoredIds(viaAlias));
        Assert.Equal((freshworks, freshworks), StoredIds(other));
        var shown = await GetReport(viaAlias);
        Assert.Equal("FD", shown["competitors"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(freshworks, shown["competitors"]![0]!["competitorId"]!.GetValue<long>());

        // The old id still resolves, as a tombstone pointing at the survivor.
        var tombstone = await (await app.Admin().GetAsync($"/api/v1/competitors/{freshdesk}")).ReadJson();
        Assert.Equal(freshworks, tombstone["mergedIntoId"]!.GetValue<long>());
        Assert.Equal(0, tombstone["reportCount"]!.GetValue<int>());
        var live = await (await app.Admin().GetAsync("/api/v1/competitors")).ReadJson();
        Assert.DoesNotContain(live["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == freshdesk);
        var all = await (await app.Admin().GetAsync("/api/v1/competitors?includeMerged=true")).ReadJson();
        Assert.Contains(all["items"]!.AsArray(), c => c!["id"]!.GetValue<long>() == freshdesk);

        // New reports with the merged names resolve to the survivor.
        var later = await FileReport(rep, "MG-4", "freshdesk.com");
        Assert.Equal((freshworks, freshworks), StoredIds(later));

        // A tombstone takes no more changes.
        Assert.Equal(HttpStatusCode.Conflict, (await app.Admin().PostAsync($"/api/v1/competitors/{freshdesk}/aliases", Http.Json(new { alias = "Fresh" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await app.Admin().PostAsync($"/api/v1/competitors/{freshdesk}/merge", Http.Json(new { intoId = freshworks }))).StatusCode);
        var intoTombstone = await app.Admin().PostAsync($"/api/v1/competitors/{freshworks}/merge", Http.Json(new { intoId = freshdesk }));
        Assert.Equal(HttpStatusCode.Conflict, intoTombstone.StatusCode);
    }

    [Fact]
    public async Task A_chain_of_merges_keeps_every_old_id_pointing_at_the_survivor()
    {
        var a = await CreateCompetitor("Chain A");
        var b = await CreateCompetitor("Chain B");
        var c = await CreateCompetitor("Chain C");
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().PostAsync($"/api/v1/competitors/{a}/merge", Http.Json(new { intoId = b }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().PostAsync($"/api/v1/competitors/{b}/merge", Http.Json(new { intoId = c }))).StatusCode);
        var old = await (await app.Admin().GetAsync($"/api/v1/competitors/{a}")).ReadJson();
        Assert.Equal(c, old["mergedIntoId"]!.GetValue<long>());
        using var db = app.OpenDb();
        Assert.Equal(3, db.ExecuteScalar<int>("SELECT COUNT(*) FROM competitor_aliases WHERE competitor_id = @c", new { c }));
    }

    [Theory]
    [InlineData("{}", "intoId")]
    [InlineData("""{"intoId":"x"}""", "intoId")]
    [InlineData("""{"intoId":999999}""", "intoId")]
    [InlineData("SELF", "intoId")]
    public async Task Bad_merges_are_400_naming_intoId(string json, string field)
    {
        var id = await CreateCompetitor($"Merge source {Guid.NewGuid():N}");
        var response = await app.Admin().PostAsync($"/api/v1/competitors/{id}/merge", Http.Json(json == "SELF" ? $$"""{"intoId":{{id}}}""" : json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey(field));
    }

    [Fact]
    public async Task Report_counts_are_of_live_reports_naming_the_competitor()
    {
        var (_, rep) = app.SeedUser("rep");
        var id = await CreateCompetitor("Counted Co", "CCO");
        await FileReport(rep, "CNT-1", "Counted Co");          // its objection names it too: still one report
        await FileReport(rep, "CNT-2", "CCO", objectionCompetitor: "someone else");
        var deleted = await FileReport(rep, "CNT-3", "counted");
        await FileReport(rep, "CNT-4", "Other Rival", objectionCompetitor: "Counted"); // objection only: not counted
        Assert.Equal(HttpStatusCode.NoContent, (await app.Admin().DeleteAsync($"/api/v1/reports/{deleted}?reason=duplicate")).StatusCode);

        var one = await (await app.Admin().GetAsync($"/api/v1/competitors/{id}")).ReadJson();
        Assert.Equal(2, one["reportCount"]!.GetValue<int>());
        var list = await (await app.Admin().GetAsync("/api/v1/competitors")).ReadJson();
        Assert.Equal(2, list["items"]!.AsArray().Single(c => c!["id"]!.GetValue<long>() == id)!["reportCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Unknown_competitors_are_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().GetAsync("/api/v1/competitors/987654")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().PostAsync("/api/v1/competitors/987654/aliases", Http.Json(new { alias = "x" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().PostAsync("/api/v1/competitors/987654/merge", Http.Json(new { intoId = 1 }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Admin().GetAsync("/api/v1/competitors?includeMerged=maybe")).StatusCode);
    }
}
