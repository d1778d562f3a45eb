using System.Net;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>
/// Hostile query strings on every trend endpoint and the competitor profile, JSON and CSV: each a 400 problem naming
/// the parameter (calendar edges included: periods before and after them do not exist), never a 500.
/// </summary>
public sealed class TrendInputTests(TestApp app) : IClassFixture<TestApp>
{
    public static readonly string[] Endpoints =
    [
        "/api/v1/trends/competitors", "/api/v1/trends/objections", "/api/v1/trends/reasons", "/api/v1/trends/messages",
        "/api/v1/trends/lead-sources", "/api/v1/trends/collateral", "/api/v1/trends/alerts", "/api/v1/competitors/1/profile",
    ];

    public static TheoryData<string, string> Corpus() => new()
    {
        { "from=9999-12-31", "from" },
        { "to=0001-01-01", "to" },
        { "from=9999-10-01&granularity=quarter", "from" },
        { "from=0001-01-01&granularity=week", "from" },
        { "to=9999-12-31&granularity=month", "to" },
        { "from=1899-12-31", "from" },
        { "to=3000-01-01", "to" },
        { "from=2026-02-30", "from" },
        { "from=2026-13-01", "from" },
        { "from=20260101", "from" },
        { "from=2026-01-01T00:00:00Z", "from" },
        { "from=2026-05-01&to=2026-04-30", "to" },
        { "granularity=day", "granularity" },
        { "granularity=", "granularity" },
        { "segment=SMB", "segment" },
        { "stage=won", "stage" },
        { "region=", "region" },
        { "region=%20%20", "region" },
        { "region=a%0Ab", "region" },
        { "product=" + "x%78", "product" },
        { "minSample=0", "minSample" },
        { "minSample=-1", "minSample" },
        { "minSample=1e3", "minSample" },
        { "minSample=99999999999999999999", "minSample" },
        { "format=xml", "format" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Every_trend_endpoint_answers_400_naming_the_parameter(string query, string field)
    {
        using (var db = app.OpenDb())
        {
            Dapper.SqlMapper.Execute(db, "INSERT INTO competitors (id, name, created_at) VALUES (1, 'Acme', '2026-01-01') ON CONFLICT DO NOTHING");
            TestEngine.SyncIds(db, "competitors");
        }
        if (query.StartsWith("product=", StringComparison.Ordinal)) query = "product=" + new string('x', 101);
        var client = app.Admin();
        foreach (var endpoint in Endpoints)
            foreach (var format in new[] { "", "&format=csv" })
            {
                if (field == "format" && format.Length > 0) continue;
                var response = await client.GetAsync($"{endpoint}?{query}{format}");
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{endpoint}?{query}{format}: {(int)response.StatusCode} {body}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.NotNull((await response.ReadJson())["errors"]![field]);
            }
    }

    /// <summary>The filter values the report list and the exports share with the trends: the same 400 naming the same parameter.</summary>
    public static TheoryData<string, string> SharedCorpus() => new()
    {
        { "from=9999-12-31", "from" },
        { "to=1899-12-31", "to" },
        { "from=2026-02-30", "from" },
        { "from=2026-05-01&to=2026-04-30", "to" },
        { "segment=SMB", "segment" },
        { "region=", "region" },
        { "region=%20%20", "region" },
        { "region=a%0Ab", "region" },
        { "outcome=draw", "outcome" },
    };

    [Theory]
    [MemberData(nameof(SharedCorpus))]
    public async Task The_report_list_and_the_exports_validate_a_filter_as_the_trends_do(string query, string field)
    {
        var client = app.Admin();
        var endpoints = new List<string> { "/api/v1/reports", "/api/v1/exports/reports?format=csv" };
        if (field != "outcome") endpoints.Add("/api/v1/trends/competitors");
        foreach (var endpoint in endpoints)
        {
            var url = endpoint + (endpoint.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
            var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)response.StatusCode} {body}");
            Assert.NotNull((await response.ReadJson())["errors"]![field]);
        }
    }

    [Fact]
    public async Task Open_ends_are_null_in_the_answer_and_asOf_says_how_current_it_is()
    {
        var rep = app.SeedUser("rep");
        Assert.Equal(HttpStatusCode.Created, (await app.Client(rep.Key).PostReport(Http.Report("ASOF-1"))).StatusCode);
        foreach (var endpoint in Endpoints.Where(e => !e.Contains("/profile", StringComparison.Ordinal)))
        {
            var body = await (await app.Admin().GetAsync(endpoint)).ReadJson();
            if (endpoint.EndsWith("/alerts", StringComparison.Ordinal)) { Assert.NotNull(body["asOf"]); continue; }
            Assert.True(body.AsObject().ContainsKey("from"), endpoint);
            Assert.Null(body["from"]);
            Assert.Null(body["to"]);
            var asOf = body["asOf"]!.GetValue<string>();
            Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(asOf, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5), $"{endpoint}: asOf {asOf}");
        }
    }
}
