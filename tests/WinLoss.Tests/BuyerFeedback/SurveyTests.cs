using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using WinLoss.Api.Infrastructure.Http;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>Survey links: one-time, expiring, stored hashed; the public survey reveals nothing and touches nothing else.</summary>
public sealed class SurveyTests(BuyerFeedbackApp fixture) : IClassFixture<BuyerFeedbackApp>
{
    private TestApp App => fixture.App;
    private static string NewDeal() => "SV-" + Guid.NewGuid().ToString("N")[..10];
    private static string RandomToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Fact]
    public async Task A_link_carries_a_256_bit_token_stored_only_as_its_hash_and_its_answer_becomes_buyer_feedback_once()
    {
        var (analystId, analyst) = App.SeedUser("analyst");
        var deal = NewDeal();
        var created = await fixture.Client(analyst).PostAsync($"/api/v1/deals/{deal}/survey-links", Http.Json("{\"expiresInDays\":7}"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var link = await created.ReadJson();
        var url = link["url"]!.GetValue<string>();
        Assert.Matches("^http://localhost/survey/[A-Za-z0-9_-]{43}$", url);
        var token = url[(url.LastIndexOf('/') + 1)..];
        Assert.Equal(32, Convert.FromBase64String(token.Replace('-', '+').Replace('_', '/') + "=").Length);
        var expires = DateTimeOffset.Parse(link["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddDays(7).AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(7).AddMinutes(5));

        using (var db = App.OpenDb())
        {
            var stored = db.QuerySingle<byte[]>("SELECT token_hash FROM survey_links WHERE id = @id", new { id = link["id"]!.GetValue<long>() });
            Assert.Equal(SHA256.HashData(Encoding.ASCII.GetBytes(token)), stored);
        }
        if (TestEngine.PostgreSql)
        {
            // No column of any table holds the token as text (PostgreSQL's files are the server's, not ours to read).
            using var db = App.OpenDb();
            foreach (var table in TestEngine.Tables(db))
                Assert.Equal(0, db.ExecuteScalar<long>($"SELECT COUNT(*) FROM \"{table}\" t WHERE strpos(t::text, @token) > 0", new { token }));
        }
        else
            Assert.DoesNotContain(token, await File.ReadAllTextAsync(App.DbPath + "-wal", Encoding.Latin1) + await File.ReadAllTextAsync(App.DbPath, Encoding.Latin1));

        var anonymous = fixture.Client(null);
        var questions = await anonymous.GetAsync($"/survey/{token}/questions");
        Assert.Equal(HttpStatusCode.OK, questions.StatusCode);
        var q = await questions.ReadJson();
        Assert.Equal(3, q["decisions"]!.AsArray().Count);
        Assert.Contains("price", q["reasons"]!.AsArray().Select(r => r!["code"]!.GetValue<string>()));
        Assert.Equal(3, q["maxReasons"]!.GetValue<int>());

        var answered = await anonymous.PostAsync($"/survey/{token}/answers", Http.Json(BuyerFeedbackApp.Answer().ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, answered.StatusCode);

        var list = await (await fixture.Client(analyst).GetAsync($"/api/v1/deals/{deal}/buyer-feedback")).ReadJson();
        var fb = Assert.Single(list["items"]!.AsArray())!;
        Assert.Equal("survey", fb["source"]!.GetValue<string>());
        Assert.Equal("lost", fb["outcome"]!.GetValue<string>());
        Assert.Equal("technical_evaluator", fb["intervieweeRole"]!.GetValue<string>());
        Assert.Equal(["integration", "price"], fb["reasons"]!.AsArray().Select(r => r!["category"]!.GetValue<string>()));
        Assert.Equal("Acme Corp", fb["competitorChosen"]!["name"]!.GetValue<string>());
        Assert.Equal("Their connector worked on day one.", fb["quotes"]![0]!.GetValue<string>());
        Assert.Null(fb["createdBy"]);

        var again = await anonymous.PostAsync($"/survey/{token}/answers", Http.Json(BuyerFeedbackApp.Answer().ToJsonString()));
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        var problem = await again.ReadJson();
        Assert.Equal("used", problem["state"]!.GetValue<string>());
        Assert.Contains("already been answered", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.GetAsync($"/survey/{token}/questions")).StatusCode);
        Assert.Single((await (await fixture.Client(analyst).GetAsync($"/api/v1/deals/{deal}/buyer-feedback")).ReadJson())["items"]!.AsArray());

        using var db2 = App.OpenDb();
        Assert.Equal(1, db2.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'survey_link.created' AND user_id = @analystId AND target LIKE @t", new { analystId, t = $"deal/{deal}/%" }));
        Assert.Equal(1, db2.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.answered' AND user_id IS NULL AND target LIKE @t", new { t = $"deal/{deal}/%" }));
    }

    [Fact]
    public async Task Answers_sent_at_once_on_one_link_store_exactly_one_feedback()
    {
        var (_, analyst) = App.SeedUser("analyst");
        var deal = NewDeal();
        var token = await fixture.NewLinkAsync(analyst, deal);
        var anonymous = fixture.Client(null);
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            anonymous.PostAsync($"/survey/{token}/answers", Http.Json(BuyerFeedbackApp.Answer().ToJsonString()))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Gone));
        using var db = App.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<long>("SELECT COUNT(*) FROM buyer_feedback WHERE deal_id = @deal", new { deal }));
    }

    [Fact]
    public async Task An_expired_link_says_so_kindly_and_stores_nothing()
    {
        var (_, analyst) = App.SeedUser("analyst");
        var deal = NewDeal();
        var token = await fixture.NewLinkAsync(analyst, deal);
        using (var db = App.OpenDb())
            db.Execute("UPDATE survey_links SET expires_at = '2020-01-01T00:00:00.000Z' WHERE token_hash = @h", new { h = SHA256.HashData(Encoding.ASCII.GetBytes(token)) });
        var anonymous = fixture.Client(null);
        var questions = await anonymous.GetAsync($"/survey/{token}/questions");
        Assert.Equal(HttpStatusCode.Gone, questions.StatusCode);
        var problem = await questions.ReadJson();
        Assert.Equal("expired", problem["state"]!.GetValue<string>());
        Assert.Contains("expired", problem["detail"]!.GetValue<string>());
        Assert.Contains("Thank you", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, (await anonymous.PostAsync($"/survey/{token}/answers", Http.Json(BuyerFeedbackApp.Answer().ToJsonString()))).StatusCode);
        using var db2 = App.OpenDb();
        Assert.Equal(0, db2.ExecuteScalar<long>("SELECT COUNT(*) FROM buyer_feedback WHERE deal_id = @deal", new { deal }));
    }

    [Fact]
    public async Task An_analyst_sees_each_links_state_and_can_close_an_open_link()
    {
        var (analystId, analyst) = App.SeedUser("analyst");
        var deal = NewDeal();
        var answered = await fixture.NewLinkAsync(analyst, deal);
        var revoked = await fixture.NewLinkAsync(analyst, deal);
        await fixture.NewLinkAsync(analyst, deal);
        var anonymous = fixture.Client(null);
        Assert.Equal(HttpStatusCode.Created, (await anonymous.PostAsync($"/survey/{answered}/answers", Http.Json(BuyerFeedbackApp.Answer().ToJsonString()))).StatusCode);
        var client = fixture.Client(analyst);
        var links = (await (await client.GetAsync($"/api/v1/deals/{deal}/survey-links")).ReadJson()).AsArray();
        Assert.Equal(["used", "open", "open"], links.Select(l => l!["state"]!.GetValue<string>()));
        Assert.NotNull(links[0]!["feedbackId"]);
        Assert.DoesNotContain(answered, links.ToJsonString());

        var second = links[1]!["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/deals/{deal}/survey-links/{second}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/api/v1/deals/{deal}/survey-links/{links[0]!["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/v1/deals/OTHER/survey-links/{second}")).StatusCode);
        var closed = await anonymous.GetAsync($"/survey/{revoked}/questions");
        Assert.Equal(HttpStatusCode.Gone, closed.StatusCode);
        Assert.Equal("expired", (await closed.ReadJson())["state"]!.GetValue<string>());
        Assert.Equal(["used", "expired", "open"], (await (await client.GetAsync($"/api/v1/deals/{deal}/survey-links")).ReadJson()).AsArray().Select(l => l!["state"]!.GetValue<string>()));
        using var db = App.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log WHERE action = 'survey_link.revoked' AND user_id = @analystId", new { analystId }));
    }

    [Fact]
    public async Task The_survey_answers_the_same_whether_or_not_the_deal_exists_and_never_names_it()
    {
        var (_, analyst) = App.SeedUser("analyst");
        var (_, rep) = App.SeedUser("rep");
        var filed = NewDeal();
        var report = Http.Report(filed, b => b["accountName"] = "Initech Secret Account");
        Assert.Equal(HttpStatusCode.Created, (await App.Client(rep).PostReport(report)).StatusCode);
        var neverFiled = NewDeal();
        var anonymous = fixture.Client(null);

        var a = await (await anonymous.GetAsync($"/survey/{await fixture.NewLinkAsync(analyst, filed)}/questions")).Content.ReadAsStringAsync();
        var b = await (await anonymous.GetAsync($"/survey/{await fixture.NewLinkAsync(analyst, neverFiled)}/questions")).Content.ReadAsStringAsync();
        static string WithoutExpiry(string json) { var o = JsonNode.Parse(json)!.AsObject(); o.Remove("expiresAt"); return o.ToJsonString(); }
        Assert.Equal(WithoutExpiry(a), WithoutExpiry(b));
        Assert.DoesNotContain(filed, a);
        Assert.DoesNotContain("Initech", a);
        Assert.DoesNotContain(neverFiled, b);

        // An unknown token: a 404 that only says the survey was not found (same for a malformed one).
        foreach (var guess in new[] { RandomToken(), "short", filed })
        {
            var response = await anonymous.GetAsync($"/survey/{Uri.EscapeDataString(guess)}/questions");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Contains("couldn't find this survey", text);
            Assert.DoesNotContain("deal", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task An_answer_cannot_name_a_deal_or_touch_any_other_data()
    {
        var (_, analyst) = App.SeedUser("analyst");
        var (_, rep) = App.SeedUser("rep");
        var deal = NewDeal();
        var victim = NewDeal();
        await App.Client(rep).PostReport(Http.Report(victim));
        var token = await fixture.NewLinkAsync(analyst, deal);
        var other = await fixture.NewLinkAsync(analyst, victim);
        var anonymous = fixture.Client(null);

        // Fields that would point the answer elsewhere are unknown properties: 400, nothing stored, link still open.
        foreach (var (name, value) in new (string, JsonNode)[] { ("dealId", victim), ("reportId", 1), ("id", 1), ("surveyLinkId", 1), ("createdBy", 1) })
        {
            var response = await anonymous.PostAsync($"/survey/{token}/answers", Http.Json(BuyerFeedbackApp.Answer(b => b[name] = value.DeepClone()).ToJsonString()));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey(name));
        }
        var invalid = await anonymous.PostAsync($"/survey/{token}/answers", Http.Json(BuyerFeedbackApp.Answer(b => b["reasons"] = new JsonArray("price", "vibes", "timing", "budget")).ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        var before = Snapshot();
        var ok = await anonymous.PostAsync($"/survey/{token}/answers", Http.Json(BuyerFeedbackApp.Answer(b => b["comment"] = "'; DELETE FROM reports; --").ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var after = Snapshot();

        foreach (var (table, checksum) in before.Tables)
            if (table is not ("buyer_feedback" or "buyer_feedback_reasons" or "buyer_feedback_competitors" or "buyer_feedback_objections" or "buyer_feedback_quotes" or "survey_links" or "audit_log" or "read_changes" or "sqlite_sequence"))
                Assert.True(after.Tables[table] == checksum, $"{table} changed");
        using var db = App.OpenDb();
        Assert.Equal(1, db.ExecuteScalar<long>("SELECT COUNT(*) FROM buyer_feedback WHERE deal_id = @deal", new { deal }));
        Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM buyer_feedback WHERE deal_id = @victim", new { victim }));
        Assert.Equal(before.OpenLinks - 1, after.OpenLinks);
        Assert.Null(db.ExecuteScalar<string?>("SELECT used_at FROM survey_links WHERE token_hash = @h", new { h = SHA256.HashData(Encoding.ASCII.GetBytes(other)) }));
        Assert.Equal(before.Feedback + 1, after.Feedback);
        Assert.Equal(before.Audit + 1, after.Audit);
        // The read side hears of exactly one change: the new feedback.
        Assert.Equal(["buyer_feedback"], db.Query<string>("SELECT entity FROM read_changes WHERE seq > @last", new { last = before.LastChange }));
    }

    private (Dictionary<string, string> Tables, long OpenLinks, long Feedback, long Audit, long LastChange) Snapshot()
    {
        using var db = App.OpenDb();
        var tables = TestEngine.Tables(db);
        var sums = new Dictionary<string, string>();
        foreach (var t in tables)
        {
            var rows = db.Query($"SELECT * FROM \"{t}\"").Select(r => string.Join("|", ((IDictionary<string, object?>)r).Values.Select(v => v is byte[] bytes ? Convert.ToHexString(bytes) : v?.ToString())));
            sums[t] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", rows.Order(StringComparer.Ordinal)))));
        }
        return (sums, db.ExecuteScalar<long>("SELECT COUNT(*) FROM survey_links WHERE used_at IS NULL"),
            db.ExecuteScalar<long>("SELECT COUNT(*) FROM buyer_feedback"), db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log"),
            db.ExecuteScalar<long>("SELECT COALESCE(MAX(seq), 0) FROM read_changes"));
    }

    [Fact]
    public async Task Token_guessing_is_rate_limited_per_client_and_the_limit_then_holds_for_real_tokens_too()
    {
        var (_, analyst) = App.SeedUser("analyst");
        var token = await fixture.NewLinkAsync(analyst, NewDeal());
        await using var limited = App.WithWebHostBuilder(b => b.UseSetting("WINLOSS_SURVEY_RATE_LIMIT", "5"));
        var client = limited.CreateClient();
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/survey/{RandomToken()}/questions")).StatusCode);
        var blocked = await client.GetAsync($"/survey/{RandomToken()}/questions");
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.True(blocked.Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.PostAsync($"/survey/{RandomToken()}/answers", Http.Json(BuyerFeedbackApp.Answer().ToJsonString()))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync($"/survey/{token}/questions")).StatusCode);
    }

    [Fact]
    public async Task The_page_is_public_carries_no_key_is_never_cached_and_has_the_pages_CSP()
    {
        var anonymous = fixture.Client(null);
        var page = await anonymous.GetAsync($"/survey/{RandomToken()}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal(SecurityHeaders.PageCsp, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("no-store", page.Headers.CacheControl!.ToString());
        var html = await page.Content.ReadAsStringAsync();
        var assets = System.Text.RegularExpressions.Regex.Matches(html, "(?:src|href)=\"(/survey/assets/[^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("/survey/assets/survey.js", assets);
        var all = new StringBuilder(html);
        foreach (var asset in assets)
        {
            var response = await anonymous.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            all.Append(await response.Content.ReadAsStringAsync());
        }
        var text = all.ToString();
        Assert.DoesNotContain("wl_", text);
        Assert.DoesNotContain("Authorization", text);
        Assert.DoesNotContain("Bearer", text);
        Assert.DoesNotContain("localStorage", text);
        Assert.DoesNotContain("<script>", text); // no inline script (the CSP would block it anyway)
    }
}
