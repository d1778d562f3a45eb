using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Reports;

/// <summary>Issue 17 (items 6, 7, 8, 13): what an outside red-team pass got past the report endpoints, kept fixed.</summary>
public sealed class ReportHardeningTests(TestApp app) : IClassFixture<TestApp>
{
    private static HttpRequestMessage Put(long id, JsonObject body, string? ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}") { Content = Http.Json(body.ToJsonString()) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return request;
    }

    private long Count(string sql, object? args = null)
    {
        using var db = app.OpenDb();
        return db.ExecuteScalar<long>(sql, args);
    }

    // ---- item 6: invisible characters do not make a second report for the same deal

    [Theory]
    [InlineData("\u200b")]        // zero-width space, after
    [InlineData("\ufeff", true)]  // BOM, before
    [InlineData("\u202e")]        // right-to-left override
    [InlineData("\u00ad")]        // soft hyphen
    [InlineData("\u2060")]        // word joiner
    [InlineData("  ")]            // plain spaces
    public async Task A_dealId_differing_only_by_invisible_characters_is_the_same_deal(string invisible, bool before = false)
    {
        var deal = "INV-" + Guid.NewGuid().ToString("N")[..8];
        var admin = app.Admin();
        var first = await admin.PostReport(Http.Report(deal));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var disguised = before ? invisible + deal : deal + invisible;
        var second = await admin.PostReport(Http.Report(disguised, b => b["outcome"] = "won"));

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType!.MediaType);
        Assert.Equal(1, Count("SELECT COUNT(*) FROM reports WHERE deal_id LIKE @p", new { p = "%" + deal[4..] + "%" }));
    }

    [Fact]
    public async Task Full_width_and_invisible_forms_are_stored_in_one_canonical_form()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        // "ＯＰＰ－" is full-width: NFKC folds it to "OPP-".
        var response = await app.Admin().PostReport(Http.Report("\ufeff\uff2f\uff30\uff30\uff0d" + suffix + "\u200b"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("OPP-" + suffix, (await response.ReadJson())["dealId"]!.GetValue<string>());
        Assert.Equal(1, Count("SELECT COUNT(*) FROM reports WHERE deal_id = @d", new { d = "OPP-" + suffix }));
    }

    [Fact]
    public async Task A_dealId_of_only_invisible_characters_is_400_naming_dealId()
    {
        var response = await app.Admin().PostReport(Http.Report("\u200b\ufeff\u202e"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey("dealId"));
    }

    [Fact]
    public async Task Amending_to_a_disguised_copy_of_another_deal_is_409()
    {
        var (a, b) = ("AMI-" + Guid.NewGuid().ToString("N")[..8], "AMI-" + Guid.NewGuid().ToString("N")[..8]);
        var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Http.Report(a))).StatusCode);
        var id = (await (await admin.PostReport(Http.Report(b))).ReadJson())["id"]!.GetValue<long>();

        var amend = await admin.SendAsync(Put(id, Http.Report(a + "\u200b"), $"\"r{id}v1\""));

        Assert.Equal(HttpStatusCode.Conflict, amend.StatusCode);
        Assert.Equal(1, Count("SELECT COUNT(*) FROM reports WHERE deal_id = @b", new { b }));
    }

    // ---- item 7: a 409 names the existing report only to a caller who may read it

    [Fact]
    public async Task A_rep_hitting_another_reps_deal_gets_409_without_the_other_report()
    {
        var deal = "VIS-" + Guid.NewGuid().ToString("N")[..8];
        var (_, alice) = app.SeedUser("rep");
        var (_, bob) = app.SeedUser("rep");
        var id = (await (await app.Client(alice).PostReport(Http.Report(deal))).ReadJson())["id"]!.GetValue<long>();

        var bobs = await app.Client(bob).PostReport(Http.Report(deal));
        Assert.Equal(HttpStatusCode.Conflict, bobs.StatusCode);
        var problem = (await bobs.ReadJson()).AsObject();
        Assert.False(problem.ContainsKey("existingReportId"), problem.ToJsonString());
        Assert.False(problem.ContainsKey("existing"), problem.ToJsonString());
        Assert.DoesNotContain($"/api/v1/reports/{id}", problem.ToJsonString());
        Assert.Equal("deal_taken", problem["code"]!.GetValue<string>()); // the offline form's outbox: act on it, do not retry

        // Alice (the owner) and an analyst (reads all) are shown the report.
        var alices = await (await app.Client(alice).PostReport(Http.Report(deal))).ReadJson();
        Assert.Equal(id, alices["existingReportId"]!.GetValue<long>());
        var (_, analyst) = app.SeedUser("analyst");
        var analysts = await (await app.Client(analyst).PostReport(Http.Report(deal, b => b["repId"] = null))).ReadJson();
        Assert.Equal($"/api/v1/reports/{id}", analysts["existing"]!.GetValue<string>());
    }

    // ---- item 8: silently accepted before

    [Theory]
    [InlineData("1e-400")]
    [InlineData("1E-29")]
    [InlineData("0.00000000000000000000000000001")]
    public async Task An_amount_that_would_underflow_to_0_is_400_naming_amount(string literal)
    {
        var deal = "UF-" + Guid.NewGuid().ToString("N")[..8];
        var body = $"{{\"dealId\":\"{deal}\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":{literal},\"currency\":\"USD\"}}";
        var response = await app.Admin().PostAsync("/api/v1/reports", Http.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJson())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("amount"), errors.ToJsonString());
        Assert.Equal(0, Count("SELECT COUNT(*) FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.0")]
    [InlineData("0e10")]
    [InlineData("12.50")]
    [InlineData("1.25e3")]
    public async Task Zero_and_ordinary_amounts_are_still_accepted(string literal)
    {
        var deal = "OK-" + Guid.NewGuid().ToString("N")[..8];
        var body = $"{{\"dealId\":\"{deal}\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":{literal},\"currency\":\"USD\"}}";
        var response = await app.Admin().PostAsync("/api/v1/reports", Http.Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal((long)Math.Round(decimal.Parse(literal, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture) * 100),
            Count("SELECT amount_cents FROM reports WHERE deal_id = @deal", new { deal }));
    }

    [Theory]
    [InlineData("DEALID")]
    [InlineData("DealId")]
    [InlineData("dealid")]
    public async Task A_property_name_differing_in_case_is_an_unknown_property(string name)
    {
        var deal = "CASE-" + Guid.NewGuid().ToString("N")[..8];
        var body = $"{{\"{name}\":\"{deal}\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}}";
        var response = await app.Admin().PostAsync("/api/v1/reports", Http.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJson())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(name), errors.ToJsonString());
        Assert.Equal("Unknown property.", errors[name]![0]!.GetValue<string>());
        Assert.Equal(0, Count("SELECT COUNT(*) FROM reports WHERE deal_id = @deal", new { deal }));
    }

    // ---- item 13: If-Match: * does not bypass optimistic concurrency

    [Theory]
    [InlineData("*")]
    [InlineData(" * ")]
    [InlineData("\"r0v1\", *")]
    public async Task Amend_with_if_match_star_is_428_and_changes_nothing(string ifMatch)
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var deal = "STAR-" + Guid.NewGuid().ToString("N")[..8];
        var id = (await (await client.PostReport(Http.Report(deal))).ReadJson())["id"]!.GetValue<long>();

        var response = await client.SendAsync(Put(id, Http.Report(deal, b => b["outcome"] = "no_decision"), ifMatch));

        Assert.Equal((HttpStatusCode)428, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("ETag", (await response.ReadJson())["detail"]!.GetValue<string>());
        using var db = app.OpenDb();
        Assert.Equal(("lost", 1L), db.QuerySingle<(string, long)>("SELECT outcome, version FROM reports WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task Two_amendments_from_the_same_version_one_wins_the_other_is_412()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var deal = "RACE-" + Guid.NewGuid().ToString("N")[..8];
        var id = (await (await client.PostReport(Http.Report(deal))).ReadJson())["id"]!.GetValue<long>();
        var etag = $"\"r{id}v1\"";

        var responses = await Task.WhenAll(
            client.SendAsync(Put(id, Http.Report(deal, b => b["outcome"] = "no_decision"), etag)),
            client.SendAsync(Put(id, Http.Report(deal, b => { b["outcome"] = "won"; b["reasons"] = new JsonArray(); }), etag)));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.PreconditionFailed], responses.Select(r => r.StatusCode).Order().ToArray());
        Assert.Equal(2, Count("SELECT version FROM reports WHERE id = @id", new { id }));
    }
}
