using System.Net;
using System.Text;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Reports;

/// <summary>No client input yields a 500: a corpus of broken and hostile bodies, each answered with a 4xx problem+json.</summary>
public sealed class HostileInputTests(TestApp app) : IClassFixture<TestApp>
{
    public static TheoryData<string, string> Corpus()
    {
        var data = new TheoryData<string, string>
        {
            { "empty", "" },
            { "whitespace", "   \n\t " },
            { "null", "null" },
            { "array", "[]" },
            { "number", "42" },
            { "string", "\"report\"" },
            { "truncated", "{\"dealId\": \"A\", \"outcome\": " },
            { "single quotes", "{'dealId': 'A'}" },
            { "trailing comma", "{\"dealId\":\"A\",}" },
            { "comment", "{/* hi */ \"dealId\":\"A\"}" },
            { "bare word", "{dealId: A}" },
            { "bom only", "\uFEFF" },
            { "nan", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":NaN,\"currency\":\"USD\"}" },
            { "huge number", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":1e400,\"currency\":\"USD\"}" },
            { "int overflow", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"leadQuality\":99999999999999999999}" },
            { "float lead quality", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"leadQuality\":2.5}" },
            { "repId overflow", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"repId\":1e30}" },
            { "number as string", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"leadQuality\":\"3\"}" },
            { "bool as string", "{\"dealId\":\"A\",\"outcome\":\"lost\",\"closedOn\":\"2026-01-01\",\"reasons\":[{\"category\":\"price\"}],\"objections\":[{\"category\":\"price\",\"overcome\":\"yes\"}]}" },
            { "object for string", "{\"dealId\":{\"$ne\":null},\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "array for string", "{\"dealId\":[\"A\"],\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "string for array", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"competitors\":\"Acme\"}" },
            { "null in array", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"competitors\":[null],\"reasons\":[null],\"objections\":[null],\"messages\":[null],\"collateralUsed\":[null]}" },
            { "numbers in array", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"competitors\":[1,2]}" },
            { "duplicate keys", "{\"dealId\":\"A\",\"dealId\":\"B\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "nested unknown", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"competitors\":[{\"name\":\"X\",\"evil\":true}]}" },
            { "proto pollution", "{\"__proto__\":{\"admin\":true},\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "deep nesting", new string('[', 5000) + new string(']', 5000) },
            { "deep objects", string.Concat(Enumerable.Repeat("{\"a\":", 3000)) + "1" + new string('}', 3000) },
            { "huge string", "{\"dealId\":\"" + new string('x', 60_000) + "\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "too many competitors", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"competitors\":[" + string.Join(",", Enumerable.Range(0, 500).Select(i => $"{{\"name\":\"C{i}\"}}")) + "]}" },
            { "control chars", "{\"dealId\":\"A\\u0000B\\u0007\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"notes\":\"\\u0000\\u001b[31m\"}" },
            { "lone surrogate", "{\"dealId\":\"\\ud800\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "invalid utf8", "{\"dealId\":\"\u00ff\u00fe\",\"outcome\":\"won\"" },
            { "sql injection", "{\"dealId\":\"'; DROP TABLE reports; --\",\"outcome\":\"won' OR '1'='1\",\"closedOn\":\"2026-01-01\",\"region\":\"' OR 1=1 --\"}" },
            { "sql in category", "{\"dealId\":\"A\",\"outcome\":\"lost\",\"closedOn\":\"2026-01-01\",\"reasons\":[{\"category\":\"price' OR '1'='1\"}]}" },
            { "script", "{\"dealId\":\"<script>alert(1)</script>\",\"outcome\":\"<img src=x onerror=alert(1)>\",\"closedOn\":\"2026-01-01\"}" },
            { "date injection", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01T00:00:00Z\"}" },
            { "feb 30", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-02-30\"}" },
            { "year 0", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"0000-01-01\"}" },
            { "negative zero", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":-0.001,\"currency\":\"USD\"}" },
            { "max decimal", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":79228162514264337593543950335,\"currency\":\"USD\"}" },
            { "many decimals", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":1.000000000000000000000000001,\"currency\":\"USD\"}" },
            // issue 17: the red-team pass's report bodies
            { "underflow amount", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":1e-400,\"currency\":\"USD\"}" },
            { "underflow amount 1e-29", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":1e-29,\"currency\":\"USD\"}" },
            { "upper-case property", "{\"DEALID\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "pascal-case property", "{\"DealId\":\"A\",\"Outcome\":\"won\",\"ClosedOn\":\"2026-01-01\"}" },
            { "invisible dealId", "{\"dealId\":\"\\u200b\\ufeff\\u202e\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\"}" },
            { "amount as string", "{\"dealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"amount\":\"12,50\",\"currency\":\"USD\"}" },
            { "unicode escapes", "{\"\\u0064ealId\":\"A\",\"outcome\":\"won\",\"closedOn\":\"2026-01-01\",\"x\\u0000\":1}" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Hostile_body_gets_a_4xx_problem_never_a_500(string name, string body)
    {
        var client = app.Admin();
        using var db = app.OpenDb();
        var before = db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports");

        var content = new ByteArrayContent(name == "invalid utf8" ? [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D] : Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/api/v1/reports", content);

        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{name}: expected 4xx, got {status}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", text); // no stack trace
        Assert.DoesNotContain("Exception", text);
        Assert.Equal(before, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports"));
    }

    [Theory]
    [InlineData("/api/v1/reports/abc")]
    [InlineData("/api/v1/reports/99999999999999999999")]
    [InlineData("/api/v1/reports/-1")]
    [InlineData("/api/v1/reports?limit=99999999999999999999")]
    [InlineData("/api/v1/reports?from=2026-01-01%27--")]
    [InlineData("/api/v1/reports?competitor=%27%20OR%201%3D1%20--")]
    [InlineData("/api/v1/reports/1/history")]
    public async Task Hostile_urls_never_give_a_500(string url)
    {
        var response = await app.Admin().GetAsync(url);
        Assert.True((int)response.StatusCode < 500, $"{url}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Hostile_text_is_stored_verbatim_not_executed()
    {
        var response = await app.Admin().PostReport(Http.Report("'; DROP TABLE reports; --", b => b["notes"] = "<script>alert(1)</script>"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var db = app.OpenDb();
        Assert.Equal("<script>alert(1)</script>", db.ExecuteScalar<string>("SELECT notes FROM reports WHERE deal_id = @d", new { d = "'; DROP TABLE reports; --" }));
    }
}
