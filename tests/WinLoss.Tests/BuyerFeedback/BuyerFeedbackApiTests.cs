using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>An analyst records, lists, reads, deletes and exports buyer interviews per deal.</summary>
public sealed class BuyerFeedbackApiTests(BuyerFeedbackApp fixture) : IClassFixture<BuyerFeedbackApp>
{
    private TestApp App => fixture.App;
    private static string NewDeal() => "BF-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task An_analyst_records_an_interview_and_reads_it_back_paired_with_the_rep_report_once_filed()
    {
        var (analystId, analyst) = App.SeedUser("analyst");
        var (_, rep) = App.SeedUser("rep");
        var deal = NewDeal();

        var created = await fixture.Client(analyst).PostAsync($"/api/v1/deals/{deal}/buyer-feedback", Http.Json(BuyerFeedbackApp.Interview().ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.ReadJson();
        var id = body["id"]!.GetValue<long>();
        Assert.Equal($"/api/v1/deals/{deal}/buyer-feedback/{id}", created.Headers.Location!.ToString());
        Assert.Equal(deal, body["dealId"]!.GetValue<string>());
        Assert.Equal("interview", body["source"]!.GetValue<string>());
        Assert.Equal("lost", body["outcome"]!.GetValue<string>());
        Assert.Equal(["product_gap", "price"], body["reasons"]!.AsArray().Select(r => r!["category"]!.GetValue<string>()));
        Assert.Equal([1, 2], body["reasons"]!.AsArray().Select(r => r!["rank"]!.GetValue<int>()));
        Assert.Equal("Acme Corp", body["competitorChosen"]!["name"]!.GetValue<string>());
        Assert.Equal(["Acme Corp", "Globex"], body["competitorsConsidered"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("Price was fine; we could not roll it out without SSO.", body["quotes"]![0]!.GetValue<string>());
        Assert.Null(body["reportId"]);
        Assert.Equal(analystId, body["createdBy"]!.GetValue<long>());

        var reportId = (await (await App.Client(rep).PostReport(Http.Report(deal))).ReadJson())["id"]!.GetValue<long>();
        var list = await (await fixture.Client(analyst).GetAsync($"/api/v1/deals/{deal}/buyer-feedback")).ReadJson();
        Assert.Equal(reportId, list["reportId"]!.GetValue<long>());
        Assert.Single(list["items"]!.AsArray());
        Assert.Equal(reportId, list["items"]![0]!["reportId"]!.GetValue<long>());

        var one = await fixture.Client(analyst).GetAsync($"/api/v1/deals/{deal}/buyer-feedback/{id}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("economic_buyer", (await one.ReadJson())["intervieweeRole"]!.GetValue<string>());

        using var db = App.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'buyer_feedback.recorded' AND target = @t AND user_id = @u",
            new { t = $"deal/{deal}/buyer-feedback/{id}", u = analystId }));
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_each_field_and_stores_nothing()
    {
        var (_, analyst) = App.SeedUser("analyst");
        var deal = NewDeal();
        var bad = BuyerFeedbackApp.Interview(b =>
        {
            b["intervieweeRole"] = "ceo's cousin";
            b["interviewedOn"] = "2099-01-01";
            b["outcome"] = "maybe";
            b["reasons"] = new JsonArray(new JsonObject { ["category"] = "price" }, new JsonObject { ["category"] = "vibes" }, new JsonObject { ["category"] = "price" });
            b["objections"] = new JsonArray(new JsonObject { ["category"] = "nope" });
            b["quotes"] = new JsonArray("");
        });
        var response = await fixture.Client(analyst).PostAsync($"/api/v1/deals/{deal}/buyer-feedback", Http.Json(bad.ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = (await response.ReadJson())["errors"]!.AsObject();
        foreach (var field in new[] { "intervieweeRole", "interviewedOn", "outcome", "reasons[1].category", "reasons[2].category", "objections[0].category", "quotes[0]" })
            Assert.True(errors.ContainsKey(field), $"no error for {field}: {errors.ToJsonString()}");

        var unknown = await fixture.Client(analyst).PostAsync($"/api/v1/deals/{deal}/buyer-feedback",
            Http.Json(BuyerFeedbackApp.Interview(b => b["repId"] = 5).ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.True((await unknown.ReadJson())["errors"]!.AsObject().ContainsKey("repId"));

        var none = await fixture.Client(analyst).PostAsync($"/api/v1/deals/{deal}/buyer-feedback",
            Http.Json(BuyerFeedbackApp.Interview(b => b["reasons"] = new JsonArray()).ToJsonString()));
        Assert.True((await none.ReadJson())["errors"]!.AsObject().ContainsKey("reasons"));

        using var db = App.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM buyer_feedback WHERE deal_id = @deal", new { deal }));
    }

    [Fact]
    public async Task Roles_reps_neither_read_nor_write_marketing_reads_only()
    {
        var (_, analyst) = App.SeedUser("analyst");
        var (_, marketing) = App.SeedUser("marketing");
        var (_, rep) = App.SeedUser("rep");
        var deal = NewDeal();
        var body = BuyerFeedbackApp.Interview().ToJsonString();
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client(rep).PostAsync($"/api/v1/deals/{deal}/buyer-feedback", Http.Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client(marketing).PostAsync($"/api/v1/deals/{deal}/buyer-feedback", Http.Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client(rep).GetAsync($"/api/v1/deals/{deal}/buyer-feedback")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client(marketing).PostAsync($"/api/v1/deals/{deal}/survey-links", Http.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Client(null).GetAsync($"/api/v1/deals/{deal}/buyer-feedback")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await fixture.Client(analyst).PostAsync($"/api/v1/deals/{deal}/buyer-feedback", Http.Json(body))).StatusCode);
        var list = await fixture.Client(marketing).GetAsync($"/api/v1/deals/{deal}/buyer-feedback");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Single((await list.ReadJson())["items"]!.AsArray());
    }

    [Fact]
    public async Task A_feedback_is_only_found_under_its_own_deal_and_deleting_it_needs_a_reason_and_is_audited()
    {
        var (analystId, analyst) = App.SeedUser("analyst");
        var deal = NewDeal();
        var client = fixture.Client(analyst);
        var id = (await (await client.PostAsync($"/api/v1/deals/{deal}/buyer-feedback", Http.Json(BuyerFeedbackApp.Interview().ToJsonString()))).ReadJson())["id"]!.GetValue<long>();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/deals/OTHER-{deal}/buyer-feedback/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/v1/deals/OTHER-{deal}/buyer-feedback/{id}?reason=x")).StatusCode);
        var noReason = await client.DeleteAsync($"/api/v1/deals/{deal}/buyer-feedback/{id}");
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.True((await noReason.ReadJson())["errors"]!.AsObject().ContainsKey("reason"));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/deals/{deal}/buyer-feedback/{id}?reason=wrong%20deal")).StatusCode);
        Assert.Empty((await (await client.GetAsync($"/api/v1/deals/{deal}/buyer-feedback")).ReadJson())["items"]!.AsArray());
        var kept = await (await client.GetAsync($"/api/v1/deals/{deal}/buyer-feedback/{id}")).ReadJson();
        Assert.NotNull(kept["deletedAt"]);
        Assert.Equal("wrong deal", kept["deleteReason"]!.GetValue<string>());
        Assert.Single((await (await client.GetAsync($"/api/v1/deals/{deal}/buyer-feedback?includeDeleted=true")).ReadJson())["items"]!.AsArray());

        using var db = App.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'buyer_feedback.deleted' AND user_id = @analystId AND target LIKE @t",
            new { analystId, t = $"deal/{deal}/%" }));
    }

    [Fact]
    public async Task Buyer_feedback_exports_as_csv_and_jsonl_with_the_rep_report_beside_it_and_is_audited()
    {
        var (analystId, analyst) = App.SeedUser("analyst");
        var (_, rep) = App.SeedUser("rep");
        var deal = NewDeal();
        await App.Client(rep).PostReport(Http.Report(deal));
        var client = fixture.Client(analyst);
        await client.PostAsync($"/api/v1/deals/{deal}/buyer-feedback", Http.Json(BuyerFeedbackApp.Interview(b => b["quotes"] = new JsonArray("=HYPERLINK(\"x\")", "second")).ToJsonString()));

        var csv = await client.GetAsync($"/api/v1/exports/buyer-feedback?format=csv&dealId={deal}");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("id,dealId,source,intervieweeRole,interviewedOn,buyerOutcome,primaryReason,reasons,competitorChosen,", lines[0]);
        Assert.Contains($",{deal},interview,economic_buyer,2026-10-20,lost,product_gap,product_gap; price,Acme Corp,", lines[1]);
        Assert.Contains("'=HYPERLINK", lines[1]); // CSV injection guarded
        Assert.Contains(",lost,price,", lines[1]); // the rep's outcome and primary reason

        var jsonl = await client.GetAsync($"/api/v1/exports/buyer-feedback?format=jsonl&dealId={deal}");
        var row = JsonNode.Parse((await jsonl.Content.ReadAsStringAsync()).Trim())!;
        Assert.Equal(["product_gap", "price"], row["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("price", row["repPrimaryReason"]!.GetValue<string>());
        Assert.Equal(2, row["quotes"]!.AsArray().Count);

        var bad = await client.GetAsync("/api/v1/exports/buyer-feedback?format=xml&source=phone");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.ReadJson())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("format") && errors.ContainsKey("source"));

        using var db = App.OpenDb();
        Assert.Equal(2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND target = '/api/v1/exports/buyer-feedback' AND user_id = @analystId", new { analystId }));
    }
}
