using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Reports;

public sealed class FileReportTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Filing_a_valid_report_returns_201_with_the_stored_report_and_stores_it()
    {
        var (repId, key) = app.SeedUser("rep");
        var response = await app.Client(key).PostReport(Http.Report("FR-1"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.ReadJson();
        var id = body["id"]!.GetValue<long>();
        Assert.Equal($"/api/v1/reports/{id}", response.Headers.Location!.ToString());
        Assert.Equal(1, body["version"]!.GetValue<int>());
        Assert.Equal(repId, body["repId"]!.GetValue<long>());
        Assert.False(string.IsNullOrEmpty(body["createdAt"]!.GetValue<string>()));
        var competitor = body["competitors"]![0]!;
        Assert.Equal("Acme Corp", competitor["name"]!.GetValue<string>());
        Assert.False(competitor["matched"]!.GetValue<bool>());
        Assert.Null(competitor["competitorId"]);

        using var db = app.OpenDb();
        var stored = db.QuerySingle<(string DealId, string Outcome, long AmountCents)>(
            "SELECT deal_id, outcome, amount_cents FROM reports WHERE id = @id", new { id });
        Assert.Equal(("FR-1", "lost", 2_500_000L), stored);
    }

    [Fact]
    public async Task A_second_report_for_the_same_deal_is_409_with_a_link_to_the_first()
    {
        var (_, key) = app.SeedUser("rep");
        var first = await (await app.Client(key).PostReport(Http.Report("FR-DUP"))).ReadJson();
        var second = await app.Client(key).PostReport(Http.Report("FR-DUP", b => b["outcome"] = "won"));

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType!.MediaType);
        var problem = await second.ReadJson();
        Assert.Equal($"/api/v1/reports/{first["id"]}", problem["existing"]!.GetValue<string>());
        using var db = app.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM reports WHERE deal_id = 'FR-DUP'"));
        Assert.Equal("lost", db.ExecuteScalar<string>("SELECT outcome FROM reports WHERE deal_id = 'FR-DUP'"));
    }

    [Theory]
    [InlineData("""{"outcome":"lost","closedOn":"2026-01-01","reasons":[{"category":"price"}]}""", "dealId")]
    [InlineData("""{"dealId":"X","outcome":"maybe","closedOn":"2026-01-01"}""", "outcome")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-13-01"}""", "closedOn")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"1999-12-31"}""", "closedOn")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","amount":5}""", "currency")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","amount":-1,"currency":"USD"}""", "amount")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","amount":5,"currency":"usd"}""", "currency")]
    [InlineData("""{"dealId":"X","outcome":"lost","closedOn":"2026-01-01"}""", "reasons")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","segment":"huge"}""", "segment")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","leadQuality":6}""", "leadQuality")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","competitors":[{"name":"SFDC"},{"name":"sfdc."}]}""", "competitors[1].name")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","competitors":[{"name":"A","primary":true},{"name":"B","primary":true}]}""", "competitors")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","objections":[{"category":"price","overcome":true},{"category":"nope","overcome":true}]}""", "objections[1].category")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","messages":[{"messageId":"no-such","resonance":"resonated"}]}""", "messages[0].messageId")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","colour":"red"}""", "colour")]
    [InlineData("""{"dealId":"X","outcome":"won","closedOn":"2026-01-01","amount":"lots","currency":"USD"}""", "amount")]
    public async Task Bad_fields_are_400_problem_json_naming_the_field(string json, string field)
    {
        var (_, key) = app.SeedUser("rep");
        var response = await app.Client(key).PostAsync("/api/v1/reports", Http.Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = (await response.ReadJson())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected an error for {field}, got: {errors.ToJsonString()}");
        using var db = app.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<int>("SELECT COUNT(*) FROM reports WHERE deal_id = 'X'"));
    }

    [Fact]
    public async Task Closed_on_tomorrow_is_accepted_and_the_day_after_is_not()
    {
        var (_, key) = app.SeedUser("rep");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var ok = await app.Client(key).PostReport(Http.Report("FR-TMRW", b => b["closedOn"] = today.AddDays(1).ToString("yyyy-MM-dd")));
        var late = await app.Client(key).PostReport(Http.Report("FR-TMRW2", b => b["closedOn"] = today.AddDays(2).ToString("yyyy-MM-dd")));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, late.StatusCode);
    }

    [Fact]
    public async Task Body_over_64_KiB_is_413_and_wrong_media_type_is_415()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var big = Http.Report("FR-BIG", b => b["notes"] = new string('a', 70 * 1024));
        var tooLarge = await client.PostReport(big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType!.MediaType);

        var text = await client.PostAsync("/api/v1/reports", new StringContent(Http.Report("FR-TXT").ToJsonString(), System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
    }

    [Fact]
    public async Task Idempotent_retry_returns_the_original_201_and_stores_one_report()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var body = Http.Report("FR-IDEM");
        var first = await client.PostReport(body, "key-1");
        var retry = await client.PostReport(body, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        var a = await first.ReadJson();
        var b = await retry.ReadJson();
        Assert.Equal(a["id"]!.GetValue<long>(), b["id"]!.GetValue<long>());
        Assert.Equal(a["createdAt"]!.GetValue<string>(), b["createdAt"]!.GetValue<string>());
        using var db = app.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM reports WHERE deal_id = 'FR-IDEM'"));
    }

    [Fact]
    public async Task A_replay_after_an_amendment_is_the_original_response_byte_for_byte()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var body = Http.Report("FR-REPLAY");
        var first = await client.PostReport(body, "key-replay");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var original = await first.Content.ReadAsStringAsync();
        var id = JsonNode.Parse(original)!["id"]!.GetValue<long>();

        var amended = Http.Report("FR-REPLAY", b => b["notes"] = "Amended after filing.");
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}") { Content = Http.Json(amended.ToJsonString()) };
        put.Headers.TryAddWithoutValidation("If-Match", $"\"r{id}v1\"");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(put)).StatusCode);

        var retry = await client.PostReport(body, "key-replay");
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(original, await retry.Content.ReadAsStringAsync()); // version 1 as first sent, not the amended report
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal($"\"r{id}v1\"", retry.Headers.ETag!.ToString());
        Assert.Equal("application/json", retry.Content.Headers.ContentType!.MediaType);
        Assert.Equal(1, JsonNode.Parse(original)!["version"]!.GetValue<int>());

        // The key keeps no copy of the response: it is the report's version-1 snapshot.
        using var db = app.OpenDb();
        Assert.Equal(original, db.ExecuteScalar<string>("SELECT body FROM report_versions WHERE report_id = @id AND version = 1", new { id }));
        Assert.Equal(id, db.ExecuteScalar<long>("SELECT report_id FROM idempotency_keys WHERE key = 'key-replay' AND response_body IS NULL"));
    }

    [Fact]
    public async Task Same_idempotency_key_with_a_different_body_is_422()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        Assert.Equal(HttpStatusCode.Created, (await client.PostReport(Http.Report("FR-K1"), "key-2")).StatusCode);
        var other = await client.PostReport(Http.Report("FR-K2"), "key-2");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        using var db = app.OpenDb();
        Assert.Equal(0, db.ExecuteScalar<int>("SELECT COUNT(*) FROM reports WHERE deal_id = 'FR-K2'"));
    }

    [Fact]
    public async Task Concurrent_retries_with_one_key_store_exactly_one_report_and_never_500()
    {
        var (_, key) = app.SeedUser("rep");
        var client = app.Client(key);
        var body = Http.Report("FR-RACE");
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.PostReport(body, "race-key")));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.Created);
        using var db = app.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<int>("SELECT COUNT(*) FROM reports WHERE deal_id = 'FR-RACE'"));
    }

    [Fact]
    public async Task Missing_or_bad_key_is_401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(null).PostReport(Http.Report("FR-NOKEY"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client("wl_not_a_real_key").PostReport(Http.Report("FR-BADKEY"))).StatusCode);
    }

    [Fact]
    public async Task Text_fields_are_trimmed_and_stored()
    {
        var (_, key) = app.SeedUser("rep");
        var response = await app.Client(key).PostReport(Http.Report("  FR-TRIM  ", b => { b["region"] = "  EMEA "; b["notes"] = "line one\nline two"; }));
        var body = await response.ReadJson();
        Assert.Equal("FR-TRIM", body["dealId"]!.GetValue<string>());
        Assert.Equal("EMEA", body["region"]!.GetValue<string>());
        Assert.Equal("line one\nline two", body["notes"]!.GetValue<string>());
    }
}
