using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Imports;

public sealed class CrmImportTests(TestApp app) : IClassFixture<TestApp>
{
    private const string Mapping =
        """
        {
          "dealId": "Opportunity ID",
          "outcome": { "column": "Stage", "values": { "Closed Won": "won", "Closed Lost": "lost", "No Decision": "no_decision" } },
          "closedOn": { "column": "Close Date", "format": "dd.MM.yyyy" },
          "amount": "Amount",
          "currency": "Currency",
          "rep": "Owner",
          "segment": { "column": "Segment", "values": { "SMB": "smb", "Mid-Market": "mid_market", "Enterprise": "enterprise" } },
          "competitor": { "column": "Competitors", "separator": "|" },
          "reason": { "column": "Loss Reason", "values": { "Too expensive": "price", "Missing feature": "product_gap" } },
          "reasonDetail": "Loss Detail"
        }
        """;

    private const string Header = "Opportunity ID,Stage,Close Date,Amount,Currency,Owner,Segment,Competitors,Loss Reason,Loss Detail\n";

    private async Task<JsonNode> Import(string csv, string mapping = Mapping, string? key = null)
    {
        var response = await (key is null ? app.Admin() : app.Client(key)).PostAsync("/api/v1/imports/crm", ImportHttp.Form(mapping, csv));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    private static string Id() => "T" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Bad_rows_are_reported_with_line_and_field_and_good_rows_are_imported()
    {
        var (a, b, c, d, e, f) = (Id(), Id(), Id(), Id(), Id(), Id());
        var csv = Header +
            $"{a},Closed Won,05.02.2025,\"12,500.50\",EUR,Ada Lovelace,Enterprise,Acme|Globex,,\n" +          // line 2: good
            $"{b},Closed Lost,31.02.2025,100,USD,Ada Lovelace,SMB,,Too expensive,\n" +                       // line 3: no 31 February
            $"{c},Open,,,,Ada Lovelace,,,,\n" +                                                                // line 4: open, skipped
            $"{d},Closed Lost,01.03.2025,lots,USD,,Huge,,Teleportation,\n" +                                  // line 5: amount, rep, segment, reason
            $"{e},No Decision,02.03.2025,,,\"Grace\nHopper\",SMB,,,\n" +                                       // line 6-7: rep with a line break
            $"\n" +                                                                                             // blank line: ignored
            $"{f},Closed Lost,03.03.2025,900,USD,Grace Hopper,Mid-Market,Initech,Missing feature,\"No SSO, \"\"SAML\"\" only\"\n"; // line 9: good

        var result = await Import(csv);

        Assert.Equal(6, result["rowsRead"]!.GetValue<long>());
        Assert.Equal(2, result["created"]!.GetValue<long>());
        Assert.Equal(1, result["skipped"]!.GetValue<long>());
        Assert.Equal(3, result["rejected"]!.GetValue<long>());
        var errors = result["errors"]!.AsArray().Select(x => (x!["line"]!.GetValue<long>(), x["field"]!.GetValue<string>())).ToList();
        Assert.Equal([(3L, "closedOn"), (5L, "amount"), (5L, "rep"), (5L, "segment"), (5L, "reason"), (6L, "rep")], errors);
        Assert.All(result["errors"]!.AsArray(), x => Assert.False(string.IsNullOrWhiteSpace(x!["message"]!.GetValue<string>())));

        using var db = app.OpenDb();
        var good = db.QuerySingle<(string Outcome, string ClosedOn, long Amount, string Currency, string Segment, string Rep)>(
            "SELECT r.outcome, r.closed_on, r.amount_cents, r.currency, r.segment, u.display_name FROM reports r JOIN users u ON u.id = r.rep_id WHERE deal_id = @a", new { a });
        Assert.Equal(("won", "2025-02-05", 1_250_050L, "EUR", "enterprise", "Ada Lovelace"), good);
        Assert.Equal(["Acme", "Globex"], db.Query<string>(
            "SELECT name FROM report_competitors WHERE report_id = (SELECT id FROM reports WHERE deal_id = @a) ORDER BY position", new { a }));
        var reason = db.QuerySingle<(string Category, string Detail, bool Primary)>(
            "SELECT category, detail, is_primary FROM report_reasons WHERE report_id = (SELECT id FROM reports WHERE deal_id = @f)", new { f });
        Assert.Equal(("product_gap", "No SSO, \"SAML\" only", true), reason);
        Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE deal_id IN (@b, @c, @d, @e)", new { b, c, d, e }));
    }

    [Fact]
    public async Task A_changed_row_becomes_a_new_version_that_keeps_what_was_added_in_WinLoss()
    {
        var deal = Id();
        var first = await Import(Header + $"{deal},Closed Lost,01.04.2025,5000,USD,Alan Turing,SMB,,,\n");
        Assert.Equal(1, first["created"]!.GetValue<long>());
        long id;
        using (var db = app.OpenDb()) id = db.ExecuteScalar<long>("SELECT id FROM reports WHERE deal_id = @deal", new { deal });

        // An analyst adds what the CRM never had: a competitor and a reason.
        var admin = app.Admin();
        var get = await admin.GetAsync($"/api/v1/reports/{id}");
        var current = (await get.ReadJson()).AsObject();
        var amended = Http.Report(deal, b =>
        {
            b["outcome"] = "lost"; b["closedOn"] = "2025-04-01"; b["amount"] = 5000; b["currency"] = "USD"; b["segment"] = "smb";
            b["stageReached"] = null; b["region"] = null; b["objections"] = new JsonArray();
            b["competitors"] = new JsonArray(new JsonObject { ["name"] = "Umbrella", ["primary"] = true });
            b["reasons"] = new JsonArray(new JsonObject { ["category"] = "timing", ["primary"] = true });
        });
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}") { Content = Http.Json(amended.ToJsonString()) };
        put.Headers.TryAddWithoutValidation("If-Match", get.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(put)).StatusCode);
        Assert.Equal(1, current["version"]!.GetValue<int>());

        // The same CRM row again: unchanged, the analyst's version stays.
        var same = await Import(Header + $"{deal},Closed Lost,01.04.2025,5000,USD,Alan Turing,SMB,,,\n");
        Assert.Equal((0L, 0L, 1L), (same["created"]!.GetValue<long>(), same["updated"]!.GetValue<long>(), same["unchanged"]!.GetValue<long>()));

        // The CRM row changed (amount and date): a new version with the CRM's values and the analyst's additions.
        var changed = await Import(Header + $"{deal},Closed Lost,15.04.2025,7000,USD,Alan Turing,SMB,,,\n");
        Assert.Equal((0L, 1L, 0L), (changed["created"]!.GetValue<long>(), changed["updated"]!.GetValue<long>(), changed["unchanged"]!.GetValue<long>()));

        var report = await (await admin.GetAsync($"/api/v1/reports/{id}")).ReadJson();
        Assert.Equal(3, report["version"]!.GetValue<int>());
        Assert.Equal("2025-04-15", report["closedOn"]!.GetValue<string>());
        Assert.Equal(7000m, report["amount"]!.GetValue<decimal>());
        Assert.Equal("Umbrella", report["competitors"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("timing", report["reasons"]![0]!["category"]!.GetValue<string>());
        var history = await (await admin.GetAsync($"/api/v1/reports/{id}/history")).Content.ReadAsStringAsync();
        Assert.Contains("2025-04-01", history);
        Assert.Contains("2025-04-15", history);
    }

    [Fact]
    public async Task A_deal_filed_by_a_rep_is_never_overwritten_and_a_deleted_import_is_not_resurrected()
    {
        var (filed, deleted) = (Id(), Id());
        var (_, repKey) = app.SeedUser("rep");
        Assert.Equal(HttpStatusCode.Created, (await app.Client(repKey).PostReport(Http.Report(filed))).StatusCode);
        await Import(Header + $"{deleted},Closed Won,01.04.2025,10,USD,Alan Turing,,,,\n");
        using (var db = app.OpenDb())
        {
            var id = db.ExecuteScalar<long>("SELECT id FROM reports WHERE deal_id = @deleted", new { deleted });
            Assert.Equal(HttpStatusCode.NoContent, (await app.Admin().DeleteAsync($"/api/v1/reports/{id}?reason=test+data")).StatusCode);
        }

        var result = await Import(Header +
            $"{filed},Closed Won,01.04.2025,10,USD,Alan Turing,,,,\n" +
            $"{deleted},Closed Won,01.04.2025,10,USD,Alan Turing,,,,\n");

        Assert.Equal(0, result["created"]!.GetValue<long>());
        Assert.Equal(1, result["skippedBy"]!["existingReport"]!.GetValue<long>());
        Assert.Equal(1, result["skippedBy"]!["deleted"]!.GetValue<long>());
        using var check = app.OpenDb();
        Assert.Equal("lost", check.ExecuteScalar<string>("SELECT outcome FROM reports WHERE deal_id = @filed AND deleted_at IS NULL", new { filed }));
        Assert.Equal(0, check.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE deal_id = @deleted AND deleted_at IS NULL", new { deleted }));
    }

    [Fact]
    public async Task Lookups_join_other_files_and_the_file_may_come_before_the_mapping()
    {
        var deal = Id();
        const string mapping =
            """
            {
              "dealId": "id", "outcome": { "column": "stage", "values": { "W": "won" } }, "closedOn": "closed",
              "rep": "agent", "currency": { "value": "GBP" }, "amount": "value",
              "region": { "lookup": "teams", "on": "agent", "column": "office" },
              "lookups": { "teams": { "key": "name" } }
            }
            """;
        var csv = Encoding.UTF8.GetBytes($"\uFEFFid,stage,closed,agent,value\r\n{deal},W,2025-06-30,Edsger Dijkstra,99.99\r\n");
        var form = ImportHttp.Form(mapping, csv, [("teams", Encoding.UTF8.GetBytes("name,office\nedsger dijkstra,EMEA North\n"))], fileFirst: true);
        var response = await app.Admin().PostAsync("/api/v1/imports/crm", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await response.ReadJson())["created"]!.GetValue<long>());
        using var db = app.OpenDb();
        Assert.Equal(("EMEA North", 9999L, "GBP"), db.QuerySingle<(string, long, string)>(
            "SELECT region, amount_cents, currency FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Theory]
    [InlineData("""{"dealId":"Opportunity ID","outcome":{"column":"Stage","values":{"Closed Won":"won"}},"closedOn":"Close Date","rep":"Nobody"}""", "mapping.rep.column")]
    [InlineData("""{"dealId":"Opportunity ID","outcome":{"column":"Stage","values":{"Closed Won":"won"}},"closedOn":"Close Date"}""", "mapping.rep")]
    [InlineData("""{"dealId":"Opportunity ID","outcome":{"column":"Stage","values":{"Closed Won":"victory"}},"closedOn":"Close Date","rep":"Owner"}""", "mapping.outcome.values.closed Won")]
    [InlineData("""{"dealId":"Opportunity ID","outcome":"Stage","closedOn":"Close Date","rep":"Owner"}""", "mapping.outcome.values")]
    [InlineData("""{"dealId":"Opportunity ID","outcome":{"column":"Stage","values":{"Closed Won":"won"}},"closedOn":"Close Date","rep":"Owner","colour":"red"}""", "mapping.colour")]
    [InlineData("""{"dealId":"Opportunity ID","outcome":{"column":"Stage","values":{"Closed Won":"won"}},"closedOn":"Close Date","rep":"Owner","region":{"lookup":"teams","on":"Owner","column":"office"}}""", "mapping.region.lookup")]
    [InlineData("""{"dealId":"Opportunity ID","outcome":{"column":"Stage","values":{"Closed Won":"won"}},"closedOn":"Close Date","rep":"Owner","currency":{"value":"usd"}}""", "mapping.currency.value")]
    [InlineData("""{"dealId":"Opportunity ID",""", "mapping")]
    public async Task A_bad_mapping_is_400_naming_the_mapping_field_and_imports_nothing(string mapping, string field)
    {
        var deal = Id();
        var response = await app.Admin().PostAsync("/api/v1/imports/crm",
            ImportHttp.Form(mapping, Header + $"{deal},Closed Won,01.04.2025,10,USD,Alan Turing,,,,\n"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJson())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected {field}, got {errors.ToJsonString()}");
        using var db = app.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Fact]
    public async Task Missing_parts_wrong_media_type_and_roles_are_answered_plainly()
    {
        var admin = app.Admin();
        var noFile = await admin.PostAsync("/api/v1/imports/crm", ImportHttp.Form(Mapping, (byte[]?)null, []));
        Assert.Equal(HttpStatusCode.BadRequest, noFile.StatusCode);
        Assert.True((await noFile.ReadJson())["errors"]!.AsObject().ContainsKey("file"));

        var noMapping = await admin.PostAsync("/api/v1/imports/crm", ImportHttp.Form(null, Encoding.UTF8.GetBytes(Header), []));
        Assert.Equal(HttpStatusCode.BadRequest, noMapping.StatusCode);
        Assert.True((await noMapping.ReadJson())["errors"]!.AsObject().ContainsKey("mapping"));

        var empty = await admin.PostAsync("/api/v1/imports/crm", ImportHttp.Form(Mapping, ""));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);

        var json = await admin.PostAsync("/api/v1/imports/crm", Http.Json("{}"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);

        var unclosed = await admin.PostAsync("/api/v1/imports/crm", ImportHttp.Form(Mapping, Header + "X1,Closed Won,\"01.04.2025\n"));
        Assert.Equal(HttpStatusCode.OK, unclosed.StatusCode);
        var body = await unclosed.ReadJson();
        Assert.Equal((2L, "file"), (body["errors"]![0]!["line"]!.GetValue<long>(), body["errors"]![0]!["field"]!.GetValue<string>()));

        foreach (var role in new[] { "rep", "marketing" })
        {
            var (_, key) = app.SeedUser(role);
            var response = await app.Client(key).PostAsync("/api/v1/imports/crm", ImportHttp.Form(Mapping, Header));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        var (_, analyst) = app.SeedUser("analyst");
        Assert.Equal(0, (await Import(Header, key: analyst))["rowsRead"]!.GetValue<long>());
    }
}
