using System.Net;
using System.Text;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>Interview notes imported from CSV: good rows stored, bad rows reported by line and field, re-import creates nothing.</summary>
public sealed class ImportBuyerFeedbackTests(BuyerFeedbackApp fixture) : IClassFixture<BuyerFeedbackApp>
{
    private static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");

    [Fact]
    public async Task Good_rows_are_stored_bad_rows_reported_and_a_reimport_creates_nothing()
    {
        var (analystId, analyst) = fixture.App.SeedUser("analyst");
        var deal = "IM-" + Guid.NewGuid().ToString("N")[..8];
        var file =
            "DealId,interviewedOn,intervieweeRole,outcome,reasons,competitorChosen,quotes\r\n" +
            $"{deal}-1,2026-09-01,economic_buyer,lost,product_gap; price,Acme Corp,\"They had SSO; we did not\"\r\n" +
            $"{deal}-2,2026-09-02,champion,no_decision,status_quo,,\r\n" +
            $"{deal}-3,2026-09-03,cousin,lost,vibes,,\r\n";
        var client = fixture.Client(analyst);
        var response = await client.PostAsync("/api/v1/imports/buyer-feedback", Csv(file));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.ReadJson();
        Assert.Equal(3, result["rowsRead"]!.GetValue<long>());
        Assert.Equal(2, result["created"]!.GetValue<long>());
        var errors = result["errors"]!.AsArray();
        Assert.Contains(errors, e => e!["line"]!.GetValue<long>() == 4 && e["field"]!.GetValue<string>() == "intervieweeRole");
        Assert.Contains(errors, e => e!["line"]!.GetValue<long>() == 4 && e["field"]!.GetValue<string>() == "reasons[0].category");

        var stored = await (await client.GetAsync($"/api/v1/deals/{deal}-1/buyer-feedback")).ReadJson();
        var fb = Assert.Single(stored["items"]!.AsArray())!;
        Assert.Equal(["product_gap", "price"], fb["reasons"]!.AsArray().Select(r => r!["category"]!.GetValue<string>()));
        Assert.Equal(["They had SSO", "we did not"], fb["quotes"]!.AsArray().Select(q => q!.GetValue<string>()));

        var again = await (await client.PostAsync("/api/v1/imports/buyer-feedback", Csv(file))).ReadJson();
        Assert.Equal(0, again["created"]!.GetValue<long>());
        Assert.Equal(2, again["unchanged"]!.GetValue<long>());
        using var db = fixture.App.OpenDb();
        Assert.Equal(2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM buyer_feedback WHERE deal_id LIKE @p", new { p = deal + "-%" }));
        Assert.Equal(2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'buyer_feedback.imported' AND user_id = @analystId", new { analystId }));
    }

    [Fact]
    public async Task A_bad_header_or_content_type_is_rejected_and_stores_nothing()
    {
        var (_, analyst) = fixture.App.SeedUser("analyst");
        var (_, marketing) = fixture.App.SeedUser("marketing");
        var client = fixture.Client(analyst);
        var unknown = await client.PostAsync("/api/v1/imports/buyer-feedback", Csv("dealId,interviewedOn,intervieweeRole,outcome,reasons,salary\r\n"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("salary", (await unknown.ReadJson())["errors"]!["header"]![0]!.GetValue<string>());
        var missing = await client.PostAsync("/api/v1/imports/buyer-feedback", Csv("dealId,outcome\r\nX,lost\r\n"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await client.PostAsync("/api/v1/imports/buyer-feedback", Http.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client(marketing).PostAsync("/api/v1/imports/buyer-feedback", Csv("dealId\r\n"))).StatusCode);
    }
}
