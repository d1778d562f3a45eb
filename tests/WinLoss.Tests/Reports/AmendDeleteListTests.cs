using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Reports;

public sealed class AmendDeleteListTests(TestApp app) : IClassFixture<TestApp>
{
    private static HttpRequestMessage Put(long id, JsonObject body, string? ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}") { Content = Http.Json(body.ToJsonString()) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return request;
    }

    [Fact]
    public async Task Get_returns_the_report_with_an_etag_and_another_reps_report_is_404()
    {
        var (_, key) = app.SeedUser("rep");
        var (_, otherKey) = app.SeedUser("rep");
        var created = await (await app.Client(key).PostReport(Http.Report("AD-GET"))).ReadJson();
        var id = created["id"]!.GetValue<long>();

        var mine = await app.Client(key).GetAsync($"/api/v1/reports/{id}");
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal($"\"r{id}v1\"", mine.Headers.ETag!.ToString());
        Assert.Equal("AD-GET", (await mine.ReadJson())["dealId"]!.GetValue<string>());

        var theirs = await app.Client(otherKey).GetAsync($"/api/v1/reports/{id}");
        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client(key).GetAsync("/api/v1/reports/987654")).StatusCode);
    }

    [Fact]
    public async Task Amend_requires_if_match_rejects_stale_versions_and_keeps_history()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var id = (await (await client.PostReport(Http.Report("AD-AMEND"))).ReadJson())["id"]!.GetValue<long>();

        var noIfMatch = await client.SendAsync(Put(id, Http.Report("AD-AMEND", b => b["outcome"] = "won"), null));
        Assert.Equal((HttpStatusCode)428, noIfMatch.StatusCode);

        var amended = await client.SendAsync(Put(id, Http.Report("AD-AMEND", b => { b["outcome"] = "won"; b["reasons"] = new JsonArray(); }), $"\"r{id}v1\""));
        Assert.Equal(HttpStatusCode.OK, amended.StatusCode);
        var body = await amended.ReadJson();
        Assert.Equal(2, body["version"]!.GetValue<int>());
        Assert.Equal("won", body["outcome"]!.GetValue<string>());
        Assert.Equal($"\"r{id}v2\"", amended.Headers.ETag!.ToString());

        var stale = await client.SendAsync(Put(id, Http.Report("AD-AMEND", b => b["outcome"] = "no_decision"), $"\"r{id}v1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);

        var history = (await (await client.GetAsync($"/api/v1/reports/{id}/history")).ReadJson()).AsArray();
        Assert.Equal(2, history.Count);
        Assert.Equal("lost", history[0]!["report"]!["outcome"]!.GetValue<string>());
        Assert.Equal("won", history[1]!["report"]!["outcome"]!.GetValue<string>());
        using var db = app.OpenDb();
        Assert.Equal("won", db.ExecuteScalar<string>("SELECT outcome FROM reports WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task A_failed_amendment_changes_nothing()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var id = (await (await client.PostReport(Http.Report("AD-NOCHANGE"))).ReadJson())["id"]!.GetValue<long>();
        var bad = await client.SendAsync(Put(id, Http.Report("AD-NOCHANGE", b => b["closedOn"] = "not-a-date"), $"\"r{id}v1\""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var report = await (await client.GetAsync($"/api/v1/reports/{id}")).ReadJson();
        Assert.Equal(1, report["version"]!.GetValue<int>());
        Assert.Equal("2026-10-15", report["closedOn"]!.GetValue<string>());
    }

    [Fact]
    public async Task Amending_to_another_live_deal_id_is_409()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        await client.PostReport(Http.Report("AD-TAKEN"));
        var id = (await (await client.PostReport(Http.Report("AD-MOVE"))).ReadJson())["id"]!.GetValue<long>();
        var response = await client.SendAsync(Put(id, Http.Report("AD-TAKEN"), $"\"r{id}v1\""));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Fact]
    public async Task Delete_needs_a_reason_is_soft_and_hides_the_report_from_lists()
    {
        var (_, repKey) = app.SeedUser("rep");
        var (_, analystKey) = app.SeedUser("analyst");
        var id = (await (await app.Client(repKey).PostReport(Http.Report("AD-DEL"))).ReadJson())["id"]!.GetValue<long>();

        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(repKey).DeleteAsync($"/api/v1/reports/{id}?reason=oops")).StatusCode);
        var noReason = await app.Client(analystKey).DeleteAsync($"/api/v1/reports/{id}");
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.True((await noReason.ReadJson())["errors"]!.AsObject().ContainsKey("reason"));

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client(analystKey).DeleteAsync($"/api/v1/reports/{id}?reason=duplicate%20of%20AD-X")).StatusCode);

        using var db = app.OpenDb();
        var row = db.QuerySingle<(string DeletedAt, string Reason)>("SELECT deleted_at, delete_reason FROM reports WHERE id = @id", new { id });
        Assert.Equal("duplicate of AD-X", row.Reason);
        var list = await (await app.Client(analystKey).GetAsync("/api/v1/reports?limit=500")).ReadJson();
        Assert.DoesNotContain(list["items"]!.AsArray(), i => i!["id"]!.GetValue<long>() == id);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client(repKey).GetAsync($"/api/v1/reports/{id}")).StatusCode);
        // The deal id is free again: the rep can re-file it.
        Assert.Equal(HttpStatusCode.Created, (await app.Client(repKey).PostReport(Http.Report("AD-DEL"))).StatusCode);
    }

    [Fact]
    public async Task List_is_newest_first_filtered_and_paged_with_an_opaque_cursor()
    {
        var (repId, key) = app.SeedUser("rep");
        var client = app.Client(key);
        for (var i = 0; i < 5; i++)
            await client.PostReport(Http.Report($"AD-LIST-{i}", b => b["outcome"] = i % 2 == 0 ? "won" : "lost"));

        var page1 = await (await client.GetAsync("/api/v1/reports?limit=2")).ReadJson();
        var items1 = page1["items"]!.AsArray();
        Assert.Equal(["AD-LIST-4", "AD-LIST-3"], items1.Select(i => i!["dealId"]!.GetValue<string>()));
        var cursor = page1["nextCursor"]!.GetValue<string>();
        var page2 = await (await client.GetAsync($"/api/v1/reports?limit=2&cursor={cursor}")).ReadJson();
        Assert.Equal(["AD-LIST-2", "AD-LIST-1"], page2["items"]!.AsArray().Select(i => i!["dealId"]!.GetValue<string>()));
        var page3 = await (await client.GetAsync($"/api/v1/reports?limit=2&cursor={page2["nextCursor"]!.GetValue<string>()}")).ReadJson();
        Assert.Single(page3["items"]!.AsArray());
        Assert.Null(page3["nextCursor"]);

        var won = await (await client.GetAsync("/api/v1/reports?outcome=won")).ReadJson();
        Assert.Equal(3, won["items"]!.AsArray().Count);
        Assert.All(won["items"]!.AsArray(), i => Assert.Equal(repId, i!["repId"]!.GetValue<long>()));
        var byCompetitor = await (await client.GetAsync("/api/v1/reports?competitor=ACME%20corp.")).ReadJson();
        Assert.Equal(5, byCompetitor["items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("from=yesterday", "from")]
    [InlineData("outcome=tie", "outcome")]
    [InlineData("cursor=%%%", "cursor")]
    [InlineData("repId=x", "repId")]
    public async Task Bad_list_parameters_are_400_naming_the_parameter(string query, string field)
    {
        var (_, key) = app.SeedUser("analyst");
        var response = await app.Client(key).GetAsync("/api/v1/reports?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey(field));
    }

    [Fact]
    public async Task Analyst_files_on_behalf_of_a_rep_and_a_rep_cannot()
    {
        var (repId, repKey) = app.SeedUser("rep");
        var (otherRepId, _) = app.SeedUser("rep");
        var (_, analystKey) = app.SeedUser("analyst");
        var (marketingId, marketingKey) = app.SeedUser("marketing");

        var onBehalf = await app.Client(analystKey).PostReport(Http.Report("AD-BEHALF", b => b["repId"] = repId));
        Assert.Equal(HttpStatusCode.Created, onBehalf.StatusCode);
        Assert.Equal(repId, (await onBehalf.ReadJson())["repId"]!.GetValue<long>());

        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(repKey).PostReport(Http.Report("AD-BEHALF2", b => b["repId"] = otherRepId))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(marketingKey).PostReport(Http.Report("AD-MKT"))).StatusCode);
        var notARep = await app.Client(analystKey).PostReport(Http.Report("AD-BEHALF3", b => b["repId"] = marketingId));
        Assert.Equal(HttpStatusCode.BadRequest, notARep.StatusCode);
        Assert.True((await notARep.ReadJson())["errors"]!.AsObject().ContainsKey("repId"));
    }
}

public sealed class AmendWithRetiredCatalogueTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task A_report_naming_a_since_deactivated_message_can_still_be_amended_but_not_filed_anew()
    {
        var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/api/v1/catalog/messages",
            Http.Json("""{"id":"roi-calculator","title":"ROI in 90 days","active":true}"""))).StatusCode);
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var body = Http.Report("RETIRED-1", b => b["messages"] = new JsonArray(new JsonObject { ["messageId"] = "roi-calculator", ["resonance"] = "resonated" }));
        var id = (await (await client.PostReport(body)).ReadJson())["id"]!.GetValue<long>();

        var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/catalog/messages/roi-calculator") { Content = Http.Json("""{"active":false}""") };
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(patch)).StatusCode);

        body["notes"] = "Amended after the message was retired.";
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}") { Content = Http.Json(body.ToJsonString()) };
        put.Headers.TryAddWithoutValidation("If-Match", $"\"r{id}v1\"");
        var amended = await client.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, amended.StatusCode);
        Assert.Equal("roi-calculator", (await amended.ReadJson())["messages"]![0]!["messageId"]!.GetValue<string>());

        var fresh = await client.PostReport(Http.Report("RETIRED-2", b => b["messages"] = new JsonArray(new JsonObject { ["messageId"] = "roi-calculator", ["resonance"] = "neutral" })));
        Assert.Equal(HttpStatusCode.BadRequest, fresh.StatusCode);
        Assert.True((await fresh.ReadJson())["errors"]!.AsObject().ContainsKey("messages[0].messageId"));
    }
}
