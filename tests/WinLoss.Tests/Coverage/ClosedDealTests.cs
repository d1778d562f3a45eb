using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Coverage;

/// <summary>Closed deals pushed by a CRM integration, the report requests they make, and the rep's waiting list.</summary>
public sealed class ClosedDealTests(TestApp app) : IClassFixture<TestApp>
{
    private static JsonObject Deal(string dealId, string rep, string outcome = "lost", Action<JsonObject>? with = null)
    {
        var body = new JsonObject
        {
            ["dealId"] = dealId, ["outcome"] = outcome, ["closedOn"] = "2026-10-15", ["rep"] = rep,
            ["amount"] = 12000.5m, ["currency"] = "EUR", ["account"] = "Globex", ["competitor"] = "Acme Corp",
        };
        with?.Invoke(body);
        return body;
    }

    private Task<HttpResponseMessage> Push(JsonObject deal, HttpClient? client = null) =>
        (client ?? app.Admin()).PostAsync("/api/v1/deals/closed", Http.Json(deal.ToJsonString()));

    private long Count(string sql, object? args = null)
    {
        using var db = app.OpenDb();
        return db.ExecuteScalar<long>(sql, args);
    }

    private (long Id, string Key, string Email) Rep()
    {
        var email = $"rep-{Guid.NewGuid():N}@example.com";
        var (id, key) = app.SeedUser("rep", email);
        return (id, key, email);
    }

    [Fact]
    public async Task A_pushed_closed_deal_waits_in_its_reps_list_prefilled_and_pushing_it_again_changes_nothing()
    {
        var rep = Rep();
        var other = Rep();
        var created = await Push(Deal("OPP-1001", rep.Email));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.ReadJson();
        Assert.Equal("created", body["change"]!.GetValue<string>());
        Assert.Equal("waiting", body["deal"]!["status"]!.GetValue<string>());
        Assert.Equal(rep.Id, body["deal"]!["repId"]!.GetValue<long>());
        Assert.Equal("/api/v1/deals/closed/OPP-1001", created.Headers.Location!.OriginalString);

        var again = await Push(Deal("OPP-1001", rep.Email));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("unchanged", (await again.ReadJson())["change"]!.GetValue<string>());
        var changed = await Push(Deal("OPP-1001", rep.Email, with: d => d["amount"] = 13000));
        Assert.Equal("updated", (await changed.ReadJson())["change"]!.GetValue<string>());
        Assert.Equal(1, Count("SELECT COUNT(*) FROM closed_deals WHERE deal_id = 'OPP-1001'"));

        var waiting = await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson();
        Assert.Equal(1, waiting["total"]!.GetValue<long>());
        var deal = waiting["deals"]![0]!;
        Assert.Equal(("OPP-1001", "lost", "2026-10-15", 13000m, "EUR", "Globex", "Acme Corp"),
            (deal["dealId"]!.GetValue<string>(), deal["outcome"]!.GetValue<string>(), deal["closedOn"]!.GetValue<string>(),
             deal["amount"]!.GetValue<decimal>(), deal["currency"]!.GetValue<string>(), deal["account"]!.GetValue<string>(),
             deal["competitor"]!.GetValue<string>()));

        // Reps see only their own; another rep's id is 404, not a leak.
        var theirs = await (await app.Client(other.Key).GetAsync("/api/v1/deals/waiting")).ReadJson();
        Assert.Equal(0, theirs["total"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client(other.Key).GetAsync($"/api/v1/deals/waiting?repId={rep.Id}")).StatusCode);
        var marketing = app.SeedUser("marketing");
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(marketing.Key).GetAsync("/api/v1/deals/waiting")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Push(Deal("OPP-1002", rep.Email), app.Client(rep.Key))).StatusCode);

        // Filing the report closes the request.
        var filed = await app.Client(rep.Key).PostReport(Http.Report("OPP-1001"));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        Assert.Equal(0, (await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson())["total"]!.GetValue<long>());
        var stored = await (await app.Admin().GetAsync("/api/v1/deals/closed/OPP-1001")).ReadJson();
        Assert.Equal("reported", stored["status"]!.GetValue<string>());
        Assert.Equal((await filed.ReadJson())["id"]!.GetValue<long>(), stored["reportId"]!.GetValue<long>());
    }

    [Fact]
    public async Task Deal_ids_are_compared_after_NFKC_and_without_invisible_characters()
    {
        var rep = Rep();
        // Full-width letters and digits and a zero-width space, as pasted from a spreadsheet.
        var response = await Push(Deal("\u200B ＯＰＰ－２００１ ", rep.Email));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("OPP-2001", (await response.ReadJson())["deal"]!["dealId"]!.GetValue<string>());
        Assert.Equal("unchanged", (await (await Push(Deal("OPP-2001", rep.Email))).ReadJson())["change"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep.Key).PostReport(Http.Report("OPP-2001"))).StatusCode);
        Assert.Equal(0, (await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson())["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task Bad_deals_are_400_naming_the_field_and_store_nothing()
    {
        var rep = Rep();
        var before = Count("SELECT COUNT(*) FROM closed_deals");
        async Task Expect(JsonObject deal, string field)
        {
            var response = await Push(deal);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.True(JsonNode.Parse(body)!["errors"]![field] is not null, body);
        }
        await Expect(Deal("OPP-3001", "nobody@example.com"), "rep");
        await Expect(Deal("OPP-3001", "Test marketing"), "rep");
        await Expect(Deal("OPP-3001", rep.Email, outcome: "abandoned"), "outcome");
        await Expect(Deal("OPP-3001", rep.Email, with: d => d["closedOn"] = "2026-13-01"), "closedOn");
        await Expect(Deal("OPP-3001", rep.Email, with: d => d.Remove("currency")), "currency");
        await Expect(Deal("", rep.Email), "dealId");
        await Expect(Deal(new string('x', 65), rep.Email), "dealId");
        await Expect(Deal("OPP-3001", rep.Email, with: d => d["stage"] = "demo"), "stage");
        var lone = await app.Admin().PostAsync("/api/v1/deals/closed",
            Http.Json($$"""{"dealId":"\ud800","outcome":"won","closedOn":"2026-10-01","rep":"{{rep.Email}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, lone.StatusCode);
        Assert.NotNull((await lone.ReadJson())["errors"]!["dealId"]);
        Assert.Equal(before, Count("SELECT COUNT(*) FROM closed_deals"));
    }

    [Fact]
    public async Task A_deal_whose_reps_report_says_otherwise_is_409_and_one_that_agrees_is_known_and_reported()
    {
        var rep = Rep();
        var other = Rep();
        var filed = await app.Client(rep.Key).PostReport(Http.Report("OPP-4001")); // lost
        var reportId = (await filed.ReadJson())["id"]!.GetValue<long>();

        var wrongOutcome = await Push(Deal("OPP-4001", rep.Email, outcome: "won"));
        Assert.Equal(HttpStatusCode.Conflict, wrongOutcome.StatusCode);
        var problem = await wrongOutcome.ReadJson();
        Assert.Equal("outcome", problem["field"]!.GetValue<string>());
        Assert.Equal(reportId, problem["existingReportId"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.Conflict, (await Push(Deal("OPP-4001", other.Email))).StatusCode);
        Assert.Equal(0, Count("SELECT COUNT(*) FROM closed_deals WHERE deal_id = 'OPP-4001'"));

        var agrees = await Push(Deal("OPP-4001", rep.Email));
        Assert.Equal(HttpStatusCode.Created, agrees.StatusCode);
        var deal = (await agrees.ReadJson())["deal"]!;
        Assert.Equal(("reported", reportId), (deal["status"]!.GetValue<string>(), deal["reportId"]!.GetValue<long>()));
        Assert.Equal(0, (await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson())["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_batch_stores_the_good_deals_and_reports_each_bad_one_by_index_without_storing_any_part_of_it()
    {
        var rep = Rep();
        await app.Client(rep.Key).PostReport(Http.Report("OPP-5003")); // lost, by this rep
        var batch = new JsonObject
        {
            ["deals"] = new JsonArray(
                Deal("OPP-5001", rep.Email, "won"),
                Deal("OPP-5002", "ghost@example.com"),
                Deal("OPP-5003", rep.Email, "won"),
                Deal("OPP-5004", rep.Email, "maybe"),
                Deal("OPP-5001", rep.Email),
                Deal("OPP-5005", rep.Email, "no_decision")),
        };
        var response = await app.Admin().PostAsync("/api/v1/deals/closed/batch", Http.Json(batch.ToJsonString()));
        var result = await response.ReadJson();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((6, 2, 4, 2, 0), (result["received"]!.GetValue<int>(), result["created"]!.GetValue<int>(),
            result["rejected"]!.GetValue<int>(), result["waiting"]!.GetValue<int>(), result["reported"]!.GetValue<int>()));
        var errors = result["errors"]!.AsArray().Select(e => (e!["index"]!.GetValue<int>(), e["field"]!.GetValue<string>())).ToList();
        Assert.Equal([(1, "rep"), (2, "outcome"), (3, "outcome"), (4, "dealId")], errors);
        Assert.Equal(2, Count("SELECT COUNT(*) FROM closed_deals WHERE deal_id LIKE 'OPP-500%'"));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM closed_deals WHERE deal_id IN ('OPP-5002','OPP-5003','OPP-5004')"));

        var again = await (await app.Admin().PostAsync("/api/v1/deals/closed/batch", Http.Json(batch.ToJsonString()))).ReadJson();
        Assert.Equal((0, 2), (again["created"]!.GetValue<int>(), again["unchanged"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_huge_batch_is_refused_whole()
    {
        var rep = Rep();
        var before = Count("SELECT COUNT(*) FROM closed_deals");
        var deals = new JsonArray();
        for (var i = 0; i < 1001; i++) deals.Add(new JsonObject { ["dealId"] = $"BIG-{i}", ["outcome"] = "won", ["closedOn"] = "2026-10-01", ["rep"] = rep.Email });
        var tooMany = await app.Admin().PostAsync("/api/v1/deals/closed/batch", Http.Json(new JsonObject { ["deals"] = deals }.ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("at most 1000", (await tooMany.ReadJson())["errors"]!["deals"]![0]!.GetValue<string>());

        var huge = "{\"deals\":[" + string.Join(',', Enumerable.Repeat(Deal("X", rep.Email, with: d => d["account"] = new string('a', 100)).ToJsonString(), 9000)) + "]}";
        var tooBig = await app.Admin().PostAsync("/api/v1/deals/closed/batch", Http.Json(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Equal(before, Count("SELECT COUNT(*) FROM closed_deals"));
    }

    [Fact]
    public async Task A_rep_filing_for_a_deal_imported_from_the_crm_replaces_the_import_and_the_request_closes()
    {
        var rep = Rep();
        using (var db = app.OpenDb()) db.Execute("UPDATE users SET display_name = 'Imported Rep' WHERE id = @id", new { id = rep.Id });
        var mapping = """{"dealId":"id","outcome":{"column":"stage","values":{"Won":"won","Lost":"lost"}},"closedOn":"closed","rep":"rep"}""";
        var csv = "id,stage,closed,rep\nCRM-1,Lost,2026-09-01,Imported Rep\nCRM-2,Won,2026-09-02,Imported Rep\n";
        var import = await app.Admin().PostAsync("/api/v1/imports/crm", Imports.ImportHttp.Form(mapping, csv));
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        Assert.Equal(2, (await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson())["total"]!.GetValue<long>());
        var importedId = Count("SELECT id FROM reports WHERE deal_id = 'CRM-1' AND deleted_at IS NULL");

        var filed = await app.Client(rep.Key).PostReport(Http.Report("CRM-1", r => r["closedOn"] = "2026-09-01"));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var waiting = await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson();
        Assert.Equal(["CRM-2"], waiting["deals"]!.AsArray().Select(d => d!["dealId"]!.GetValue<string>()));
        Assert.Equal(1, Count("SELECT COUNT(*) FROM reports WHERE deal_id = 'CRM-1' AND deleted_at IS NULL"));
        Assert.Equal(1, Count("SELECT COUNT(*) FROM reports WHERE id = @importedId AND deleted_at IS NOT NULL AND delete_reason LIKE 'Superseded%'", new { importedId }));

        // Re-importing keeps the rep's report.
        var again = await (await app.Admin().PostAsync("/api/v1/imports/crm", Imports.ImportHttp.Form(mapping, csv))).ReadJson();
        Assert.Equal((0, 1), (again["created"]!.GetValue<long>(), again["skippedBy"]!["existingReport"]!.GetValue<long>()));
        Assert.Equal(1, (await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson())["total"]!.GetValue<long>());

        // Another rep cannot take over this rep's imported deal: one report per deal still holds.
        var intruder = Rep();
        Assert.Equal(HttpStatusCode.Conflict, (await app.Client(intruder.Key).PostReport(Http.Report("CRM-2", r => r["outcome"] = "won"))).StatusCode);
    }

    [Fact]
    public async Task Deals_imported_before_closed_deals_were_kept_become_closed_deals_when_the_migration_runs()
    {
        var rep = Rep();
        using (var db = app.OpenDb()) db.Execute("UPDATE users SET display_name = 'Old Import Rep' WHERE id = @id", new { id = rep.Id });
        var mapping = """{"dealId":"id","outcome":{"column":"stage","values":{"Won":"won","Lost":"lost"}},"closedOn":"closed","rep":"rep","competitor":"rival"}""";
        var csv = "id,stage,closed,rep,rival\nOLD-1,Lost,2025-05-01,Old Import Rep,Acme\nOLD-2,Won,2025-05-02,Old Import Rep,\n";
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().PostAsync("/api/v1/imports/crm", Imports.ImportHttp.Form(mapping, csv))).StatusCode);

        // As a database from before migration 0110 would be: the imports, no closed deals.
        using (var db = app.OpenDb())
        {
            var backfill = WinLoss.Api.Infrastructure.Database.Migrator.Scripts(WinLoss.Api.Infrastructure.Database.Dialect.Of(db))
                .Single(m => m.Version == "0111_closed_deals_from_past_imports").Sql;
            db.Execute("DELETE FROM closed_deals WHERE deal_id LIKE 'OLD-%'");
            db.Execute(backfill);
            var rows = db.Query<(string DealId, string Outcome, string ClosedOn, long RepId, string? Competitor, string Source)>(
                "SELECT deal_id, outcome, closed_on, rep_id, competitor, source FROM closed_deals WHERE deal_id LIKE 'OLD-%' ORDER BY deal_id").ToList();
            Assert.Equal([("OLD-1", "lost", "2025-05-01", rep.Id, "Acme", "crm_import"), ("OLD-2", "won", "2025-05-02", rep.Id, null, "crm_import")], rows);
            db.Execute(backfill); // idempotent
            Assert.Equal(2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM closed_deals WHERE deal_id LIKE 'OLD-%'"));
        }
        var waiting = await (await app.Client(rep.Key).GetAsync("/api/v1/deals/waiting")).ReadJson();
        Assert.Equal(2, waiting["total"]!.GetValue<long>());
    }
}
