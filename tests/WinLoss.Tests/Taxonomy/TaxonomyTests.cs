using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Taxonomy;

public sealed class CategoryTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Every_role_reads_the_seeded_categories_of_the_contract()
    {
        var (_, rep) = app.SeedUser("rep");
        var reasons = await (await app.Client(rep).GetAsync("/api/v1/taxonomy/reasons")).ReadJson();
        Assert.Equal(
            ["price", "product_gap", "integration", "security_compliance", "implementation_risk", "vendor_viability",
             "relationship", "timing", "budget", "status_quo", "support", "other"],
            // seeded only: another test of this class may already have added a category (test order is not fixed)
            reasons["items"]!.AsArray().Where(i => i!["seeded"]!.GetValue<bool>()).Select(i => i!["code"]!.GetValue<string>()));
        var objections = await (await app.Client(rep).GetAsync("/api/v1/taxonomy/objections")).ReadJson();
        Assert.Equal(
            ["price", "missing_feature", "integration", "security", "performance", "ease_of_use", "implementation_time",
             "vendor_size", "references", "contract_terms", "other"],
            objections["items"]!.AsArray().Where(i => i!["seeded"]!.GetValue<bool>()).Select(i => i!["code"]!.GetValue<string>()));
        Assert.True(objections["items"]![0]!["seeded"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_analyst_adds_a_reason_which_reports_may_use_at_once_and_a_duplicate_is_409()
    {
        var (_, analyst) = app.SeedUser("analyst");
        var (_, rep) = app.SeedUser("rep");
        var report = Http.Report("CAT-1", b => b["reasons"] = new JsonArray(new JsonObject { ["category"] = "legal_review" }));
        var before = await app.Client(rep).PostReport(report);
        Assert.Equal(HttpStatusCode.BadRequest, before.StatusCode);
        Assert.True((await before.ReadJson())["errors"]!.AsObject().ContainsKey("reasons[0].category"));

        var added = await app.Client(analyst).PostAsync("/api/v1/taxonomy/reasons", Http.Json(new { code = "legal_review", label = "Legal review" }));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var body = await added.ReadJson();
        Assert.Equal(("legal_review", "Legal review", false), (body["code"]!.GetValue<string>(), body["label"]!.GetValue<string>(), body["seeded"]!.GetValue<bool>()));

        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep).PostReport(report)).StatusCode);
        var list = await (await app.Client(rep).GetAsync("/api/v1/taxonomy/reasons")).ReadJson();
        Assert.Equal("legal_review", list["items"]!.AsArray().Last()!["code"]!.GetValue<string>());

        var duplicate = await app.Client(analyst).PostAsync("/api/v1/taxonomy/reasons", Http.Json(new { code = "legal_review", label = "Again" }));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var seeded = await app.Client(analyst).PostAsync("/api/v1/taxonomy/objections", Http.Json(new { code = "price", label = "Price" }));
        Assert.Equal(HttpStatusCode.Conflict, seeded.StatusCode);
    }

    [Fact]
    public async Task Objection_categories_are_separate_from_reason_categories()
    {
        var added = await app.Admin().PostAsync("/api/v1/taxonomy/objections", Http.Json(new { code = "data_residency", label = "Data residency" }));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using var db = app.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM objection_categories WHERE code = 'data_residency' AND seeded = 0"));
        Assert.Equal(0, db.ExecuteScalar<int>("SELECT COUNT(*) FROM reason_categories WHERE code = 'data_residency'"));
    }

    [Theory]
    [InlineData("rep")]
    [InlineData("marketing")]
    public async Task Reps_and_marketing_may_not_add_categories(string role)
    {
        var (_, key) = app.SeedUser(role);
        var response = await app.Client(key).PostAsync("/api/v1/taxonomy/reasons", Http.Json(new { code = $"by_{role}", label = "X" }));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"code":"Legal Review","label":"x"}""", "code")]
    [InlineData("""{"code":"legal__review","label":"x"}""", "code")]
    [InlineData("""{"code":"1st","label":"x"}""", "code")]
    [InlineData("""{"label":"x"}""", "code")]
    [InlineData("""{"code":"ok_code"}""", "label")]
    [InlineData("""{"code":"ok_code","label":"x","extra":1}""", "extra")]
    public async Task Bad_categories_are_400_naming_the_field(string json, string field)
    {
        var response = await app.Admin().PostAsync("/api/v1/taxonomy/reasons", Http.Json(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey(field));
    }
}

public sealed class CatalogTests(TestApp app) : IClassFixture<TestApp>
{
    private static JsonObject WithMessages(string dealId, params string[] messageIds) => Http.Report(dealId, b =>
        b["messages"] = new JsonArray(messageIds.Select(m => (JsonNode)new JsonObject { ["messageId"] = m, ["resonance"] = "resonated" }).ToArray()));

    [Fact]
    public async Task Marketing_owns_messages_and_an_inactive_message_is_rejected_when_filing_naming_the_field()
    {
        var (_, marketing) = app.SeedUser("marketing");
        var (_, rep) = app.SeedUser("rep");
        var created = await app.Client(marketing).PostAsync("/api/v1/catalog/messages",
            Http.Json(new { id = "roi-90-days", title = "ROI in 90 days", pillar = "value", stage = "proposal" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/catalog/messages/roi-90-days", created.Headers.Location!.ToString());
        var message = await created.ReadJson();
        Assert.True(message["active"]!.GetValue<bool>());
        Assert.Equal("proposal", message["stage"]!.GetValue<string>());
        await app.Client(marketing).PostAsync("/api/v1/catalog/messages", Http.Json(new { id = "fast-setup", title = "Live in a week" }));

        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep).PostReport(WithMessages("CM-1", "roi-90-days"))).StatusCode);

        var patched = await app.Client(marketing).PatchAsync("/api/v1/catalog/messages/roi-90-days", Http.Json(new { active = false }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var after = await patched.ReadJson();
        Assert.False(after["active"]!.GetValue<bool>());
        Assert.Equal("ROI in 90 days", after["title"]!.GetValue<string>()); // PATCH keeps what was not sent
        Assert.Equal("value", after["pillar"]!.GetValue<string>());

        var rejected = await app.Client(rep).PostReport(WithMessages("CM-2", "fast-setup", "roi-90-days"));
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        var errors = (await rejected.ReadJson())["errors"]!.AsObject();
        Assert.Equal(["messages[1].messageId"], errors.Select(e => e.Key));

        // The report filed earlier keeps its message; the catalogue lists the message as inactive.
        using (var db = app.OpenDb())
            Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM report_messages WHERE message_id = 'roi-90-days'"));
        var active = (await (await app.Client(rep).GetAsync("/api/v1/catalog/messages?active=true")).ReadJson())["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("fast-setup", active);
        Assert.DoesNotContain("roi-90-days", active);
        var inactive = (await (await app.Client(rep).GetAsync("/api/v1/catalog/messages?active=false")).ReadJson())["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(["roi-90-days"], inactive);
        var all = (await (await app.Client(rep).GetAsync("/api/v1/catalog/messages")).ReadJson())["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("fast-setup", all);
        Assert.Contains("roi-90-days", all);

        // Reactivating (PUT replaces) lets reps name it again.
        var put = await app.Client(marketing).PutAsync("/api/v1/catalog/messages/roi-90-days", Http.Json(new { title = "ROI in 90 days, proven", active = true }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Null((await put.ReadJson())["pillar"]); // PUT replaces: absent pillar is cleared
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep).PostReport(WithMessages("CM-3", "roi-90-days"))).StatusCode);
    }

    [Fact]
    public async Task A_referenced_message_is_never_deleted_and_an_unreferenced_one_is()
    {
        var (_, rep) = app.SeedUser("rep");
        await app.Admin().PostAsync("/api/v1/catalog/messages", Http.Json(new { id = "used", title = "Used" }));
        await app.Admin().PostAsync("/api/v1/catalog/messages", Http.Json(new { id = "typo", title = "Typo" }));
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep).PostReport(WithMessages("DM-1", "used"))).StatusCode);

        var referenced = await app.Admin().DeleteAsync("/api/v1/catalog/messages/used");
        Assert.Equal(HttpStatusCode.Conflict, referenced.StatusCode);
        Assert.Equal(1, (await referenced.ReadJson())["reports"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().GetAsync("/api/v1/catalog/messages/used")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Admin().DeleteAsync("/api/v1/catalog/messages/typo")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().GetAsync("/api/v1/catalog/messages/typo")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().DeleteAsync("/api/v1/catalog/messages/typo")).StatusCode);
    }

    [Fact]
    public async Task Collateral_is_validated_deactivated_and_then_rejected_in_reports()
    {
        var (_, analyst) = app.SeedUser("analyst");
        var (_, rep) = app.SeedUser("rep");
        var created = await app.Client(analyst).PostAsync("/api/v1/catalog/collateral",
            Http.Json(new { id = "battlecard-sfdc", title = "Salesforce battlecard", kind = "battlecard", url = "https://intranet.example.com/bc/sfdc" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("battlecard", (await created.ReadJson())["kind"]!.GetValue<string>());

        var withCollateral = Http.Report("COL-1", b => b["collateralUsed"] = new JsonArray("battlecard-sfdc"));
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep).PostReport(withCollateral)).StatusCode);

        var put = await app.Client(analyst).PutAsync("/api/v1/catalog/collateral/battlecard-sfdc",
            Http.Json(new { title = "Salesforce battlecard (2025)", kind = "battlecard", active = false }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var rejected = await app.Client(rep).PostReport(Http.Report("COL-2", b => b["collateralUsed"] = new JsonArray("battlecard-sfdc")));
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.True((await rejected.ReadJson())["errors"]!.AsObject().ContainsKey("collateralUsed[0]"));
        Assert.Equal(HttpStatusCode.Conflict, (await app.Client(analyst).DeleteAsync("/api/v1/catalog/collateral/battlecard-sfdc")).StatusCode);
    }

    [Theory]
    [InlineData("rep")]
    public async Task Reps_read_the_catalogue_but_may_not_change_it(string role)
    {
        var (_, key) = app.SeedUser(role);
        var client = app.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/catalog/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/catalog/collateral")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/v1/catalog/messages", Http.Json(new { id = "x", title = "x" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PatchAsync("/api/v1/catalog/collateral/x", Http.Json(new { active = false }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/api/v1/catalog/messages/x")).StatusCode);
    }

    [Theory]
    [InlineData("POST", "/api/v1/catalog/messages", """{"title":"No id"}""", "id")]
    [InlineData("POST", "/api/v1/catalog/messages", """{"id":"has space","title":"x"}""", "id")]
    [InlineData("POST", "/api/v1/catalog/messages", """{"id":"ok","title":""}""", "title")]
    [InlineData("POST", "/api/v1/catalog/messages", """{"id":"ok","title":"x","stage":"closed"}""", "stage")]
    [InlineData("POST", "/api/v1/catalog/messages", """{"id":"ok","title":"x","active":"yes"}""", "active")]
    [InlineData("POST", "/api/v1/catalog/collateral", """{"id":"ok","title":"x","url":"javascript:alert(1)"}""", "url")]
    [InlineData("POST", "/api/v1/catalog/collateral", """{"id":"ok","title":"x","url":"not a url"}""", "url")]
    [InlineData("PUT", "/api/v1/catalog/messages/base", """{"title":"x"}""", "active")]
    [InlineData("PUT", "/api/v1/catalog/messages/base", """{"id":"other","title":"x","active":true}""", "id")]
    [InlineData("PATCH", "/api/v1/catalog/messages/base", """{"title":"  "}""", "title")]
    public async Task Bad_catalogue_bodies_are_400_naming_the_field(string method, string path, string json, string field)
    {
        await app.Admin().PostAsync("/api/v1/catalog/messages", Http.Json(new { id = "base", title = "Base" }));
        var response = await app.Admin().SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Http.Json(json) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJson())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), errors.ToJsonString());
    }

    [Fact]
    public async Task Creating_an_existing_id_is_409_and_editing_a_missing_one_is_404()
    {
        await app.Admin().PostAsync("/api/v1/catalog/collateral", Http.Json(new { id = "dup", title = "Dup" }));
        Assert.Equal(HttpStatusCode.Conflict, (await app.Admin().PostAsync("/api/v1/catalog/collateral", Http.Json(new { id = "dup", title = "Again" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().PatchAsync("/api/v1/catalog/collateral/missing", Http.Json(new { active = false }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().PutAsync("/api/v1/catalog/messages/missing", Http.Json(new { title = "x", active = true }))).StatusCode);
    }
}

public sealed class CatalogContractTests(TestApp app) : IClassFixture<TestApp>
{
    private sealed record AuditRow(string Action, string Target, string? Details);

    private List<AuditRow> AuditFor(string target)
    {
        using var db = app.OpenDb();
        return db.Query<AuditRow>("SELECT action AS Action, target AS Target, details AS Details FROM audit_log WHERE target = @target ORDER BY id",
            new { target }).ToList();
    }

    [Theory]
    [InlineData("messages", "message", "Message", "A message", """{"id":"m-1","title":" Pitch ","pillar":" value ","stage":"demo"}""",
        """{"title":"Pitch","pillar":"value","stage":"demo","active":true}""",
        """{"title":"Pitch 2","active":false}""", """{"title":"Pitch 2","pillar":null,"stage":null,"active":false}""",
        """{"pillar":"speed"}""", """{"title":"Pitch 2","pillar":"speed","stage":null,"active":false}""")]
    [InlineData("collateral", "collateral", "Collateral", "A collateral item", """{"id":"c-1","title":" Deck ","kind":" deck ","url":" https://example.com/d "}""",
        """{"title":"Deck","kind":"deck","url":"https://example.com/d","active":true}""",
        """{"title":"Deck 2","active":false}""", """{"title":"Deck 2","kind":null,"url":null,"active":false}""",
        """{"kind":"sheet"}""", """{"title":"Deck 2","kind":"sheet","url":null,"active":false}""")]
    public async Task Every_write_answers_and_audits_the_same_way_for_messages_and_collateral(
        string path, string auditName, string noun, string nounWithArticle, string create, string created,
        string replace, string replaced, string patch, string patched)
    {
        var admin = app.Admin();
        var id = System.Text.Json.JsonDocument.Parse(create).RootElement.GetProperty("id").GetString()!;
        var url = $"/api/v1/catalog/{path}";
        var target = $"catalog/{path}/{id}";

        var post = await admin.PostAsync(url, Http.Json(create));
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        Assert.Equal($"{url}/{id}", post.Headers.Location!.ToString());
        var dto = (await post.ReadJson()).AsObject();
        Assert.Equal(["id", "title", path == "messages" ? "pillar" : "kind", path == "messages" ? "stage" : "url", "active", "createdAt", "updatedAt"],
            dto.Select(p => p.Key));
        Assert.Equal(dto["createdAt"]!.GetValue<string>(), dto["updatedAt"]!.GetValue<string>());

        var again = await admin.PostAsync(url, Http.Json(create));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var conflict = await again.ReadJson();
        Assert.Equal($"{nounWithArticle} with id '{id}' exists already.", conflict["detail"]!.GetValue<string>());
        Assert.Equal(("id", $"{url}/{id}"), (conflict["field"]!.GetValue<string>(), conflict["existing"]!.GetValue<string>()));

        var put = await admin.PutAsync($"{url}/{id}", Http.Json(replace));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var afterPut = await put.ReadJson();
        Assert.Equal(dto["createdAt"]!.GetValue<string>(), afterPut["createdAt"]!.GetValue<string>());
        var afterPatch = await (await admin.PatchAsync($"{url}/{id}", Http.Json(patch))).ReadJson();
        Assert.False(afterPatch["active"]!.GetValue<bool>());

        var got = await (await admin.GetAsync($"{url}/{id}")).ReadJson();
        Assert.Equal(afterPatch.ToJsonString(), got.ToJsonString());
        var inactive = await (await admin.GetAsync($"{url}?active=false")).ReadJson();
        Assert.Equal([id], inactive["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
        Assert.DoesNotContain(id, (await (await admin.GetAsync($"{url}?active=true")).ReadJson())["items"]!.AsArray()
            .Select(i => i!["id"]!.GetValue<string>()));
        var badFilter = await admin.GetAsync($"{url}?active=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
        Assert.True((await badFilter.ReadJson())["errors"]!.AsObject().ContainsKey("active"));

        foreach (var (method, missing) in new[] { (HttpMethod.Get, ""), (HttpMethod.Put, replace), (HttpMethod.Patch, patch), (HttpMethod.Delete, "") })
        {
            var request = new HttpRequestMessage(method, $"{url}/nope") { Content = missing == "" ? null : Http.Json(missing) };
            var response = await admin.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal($"{noun} 'nope' not found.", (await response.ReadJson())["detail"]!.GetValue<string>());
        }

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{url}/{id}")).StatusCode);
        Assert.Equal(
            [
                new AuditRow($"catalog.{auditName}_created", target, created),
                new AuditRow($"catalog.{auditName}_updated", target, replaced),
                new AuditRow($"catalog.{auditName}_updated", target, patched),
                new AuditRow($"catalog.{auditName}_deleted", target, null),
            ],
            AuditFor(target));
    }

    [Theory]
    [InlineData("messages", "Message", """{"id":"named","title":"Named"}""")]
    [InlineData("collateral", "Collateral", """{"id":"named","title":"Named"}""")]
    public async Task Deleting_an_item_reports_name_is_409_with_the_count_and_leaves_no_audit_entry(string path, string noun, string create)
    {
        var (_, rep) = app.SeedUser("rep");
        var url = $"/api/v1/catalog/{path}";
        Assert.Equal(HttpStatusCode.Created, (await app.Admin().PostAsync(url, Http.Json(create))).StatusCode);
        for (var i = 0; i < 2; i++)
        {
            var report = Http.Report($"NAMED-{path}-{i}", b =>
            {
                if (path == "messages") b["messages"] = new JsonArray(new JsonObject { ["messageId"] = "named", ["resonance"] = "resonated" });
                else b["collateralUsed"] = new JsonArray("named");
            });
            Assert.Equal(HttpStatusCode.Created, (await app.Client(rep).PostReport(report)).StatusCode);
        }

        var response = await app.Admin().DeleteAsync($"{url}/named");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.ReadJson();
        Assert.Equal($"{noun} 'named' is named by 2 report(s) and cannot be deleted; deactivate it instead (PATCH {{\"active\": false}}).",
            problem["detail"]!.GetValue<string>());
        Assert.Equal(2, problem["reports"]!.GetValue<int>());
        Assert.DoesNotContain(AuditFor($"catalog/{path}/named"), a => a.Action.EndsWith("_deleted", StringComparison.Ordinal));
    }
}
