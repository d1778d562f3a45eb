using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Exports;

public sealed class ExportTests(TestApp app) : IClassFixture<TestApp>
{
    private const string ReportColumns =
        "id,dealId,outcome,closedOn,amount,currency,segment,stageReached,region,industry,product,accountName,repId,repName," +
        "competitors,primaryCompetitor,reasons,primaryReason,primaryReasonDetail,objections,messages,collateralUsed," +
        "leadSource,leadQuality,notes,version,createdAt,updatedAt";

    private const string ObjectionColumns =
        "reportId,dealId,position,category,competitor,competitorAsWritten,competitorId,overcome,text," +
        "outcome,closedOn,amount,currency,segment,stageReached,region,industry,product,repId";

    /// <summary>Files three reports in their own region (so tests in this class do not see each other's data), deletes one.</summary>
    private async Task<(string Region, long RepId, long[] Ids)> Seed()
    {
        var region = "R-" + Guid.NewGuid().ToString("N")[..8];
        var (repId, key) = app.SeedUser("rep");
        var rep = app.Client(key);
        var lost = await (await rep.PostReport(Http.Report(region + "-1", b =>
        {
            b["region"] = region;
            b["industry"] = "Retail";
            b["product"] = "Suite";
            b["accountName"] = "=HYPERLINK(\"http://evil\")";
            b["amount"] = 1234.5;
            b["competitors"] = new JsonArray(
                new JsonObject { ["name"] = "Acme Corp", ["primary"] = true },
                new JsonObject { ["name"] = "Globex" });
            b["reasons"] = new JsonArray(
                new JsonObject { ["category"] = "price", ["detail"] = "20%, \"cheaper\"", ["primary"] = true },
                new JsonObject { ["category"] = "timing" });
            b["objections"] = new JsonArray(
                new JsonObject { ["category"] = "price", ["competitor"] = "Acme", ["text"] = "too expensive", ["overcome"] = false },
                new JsonObject { ["category"] = "integration", ["text"] = "-no SSO", ["overcome"] = true });
            b["notes"] = "line one\nline two";
        }))).ReadJson();
        var won = await (await rep.PostReport(Http.Report(region + "-2", b =>
        {
            b["region"] = region;
            b["outcome"] = "won";
            b["closedOn"] = "2026-03-01";
            b["segment"] = "enterprise";
            b["reasons"] = new JsonArray();
            b["objections"] = new JsonArray();
            b["competitors"] = new JsonArray();
            b.Remove("amount");
            b.Remove("currency");
        }))).ReadJson();
        var deleted = await (await rep.PostReport(Http.Report(region + "-3", b => b["region"] = region))).ReadJson();
        var del = await app.Admin().DeleteAsync($"/api/v1/reports/{deleted["id"]}?reason=duplicate");
        Assert.True(del.IsSuccessStatusCode, await del.Content.ReadAsStringAsync());
        return (region, repId, [lost["id"]!.GetValue<long>(), won["id"]!.GetValue<long>()]);
    }

    private async Task<HttpResponseMessage> Get(string url, string? key = null)
    {
        var client = key is null ? app.Client((await Analyst()).Key) : app.Client(key);
        return await client.GetAsync(url);
    }

    private Task<(long Id, string Key)> Analyst() => Task.FromResult(app.SeedUser("analyst"));

    [Fact]
    public async Task Reports_csv_has_the_documented_columns_one_row_per_live_report_and_joined_multi_values()
    {
        var (region, repId, ids) = await Seed();
        var response = await Get($"/api/v1/exports/reports?region={region}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType!.CharSet);
        Assert.Matches("^attachment; filename=\"winloss-reports-\\d{4}-\\d{2}-\\d{2}\\.csv\"$", response.Content.Headers.ContentDisposition!.ToString());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(0xEF, bytes[0]);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.StartsWith(ReportColumns + "\r\n", text);

        var rows = CsvText.Records(text);
        Assert.Equal(2, rows.Count); // the deleted report is not exported
        var lost = rows[0];
        Assert.Equal(ids[0].ToString(), lost["id"]);
        Assert.Equal(region + "-1", lost["dealId"]);
        Assert.Equal("lost", lost["outcome"]);
        Assert.Equal("2026-10-15", lost["closedOn"]);
        Assert.Equal("1234.5", lost["amount"]);
        Assert.Equal("USD", lost["currency"]);
        Assert.Equal("mid_market", lost["segment"]);
        Assert.Equal("proposal", lost["stageReached"]);
        Assert.Equal("Retail", lost["industry"]);
        Assert.Equal("'=HYPERLINK(\"http://evil\")", lost["accountName"]);
        Assert.Equal(repId.ToString(), lost["repId"]);
        Assert.Equal("Acme Corp; Globex", lost["competitors"]);
        Assert.Equal("Acme Corp", lost["primaryCompetitor"]);
        Assert.Equal("price; timing", lost["reasons"]);
        Assert.Equal("price", lost["primaryReason"]);
        Assert.Equal("20%, \"cheaper\"", lost["primaryReasonDetail"]);
        Assert.Equal("price; integration", lost["objections"]);
        Assert.Equal("line one\nline two", lost["notes"]);
        Assert.Equal("1", lost["version"]);

        var won = rows[1];
        Assert.Equal(ids[1].ToString(), won["id"]);
        Assert.Equal("won", won["outcome"]);
        Assert.Equal("", won["amount"]);
        Assert.Equal("", won["competitors"]);
        Assert.Equal("enterprise", won["segment"]);
    }

    [Fact]
    public async Task Filters_select_the_same_reports_as_the_trends_would()
    {
        var (region, _, ids) = await Seed();
        async Task<List<string>> Ids(string query) =>
            CsvText.Records(await (await Get($"/api/v1/exports/reports?region={region}&{query}")).Content.ReadAsStringAsync())
                .Select(r => r["id"]).ToList();

        Assert.Equal([ids[1].ToString()], await Ids("outcome=won"));
        Assert.Equal([ids[0].ToString()], await Ids("from=2026-10-01&to=2026-10-31"));
        Assert.Equal([ids[1].ToString()], await Ids("to=2026-03-01"));
        Assert.Equal([ids[1].ToString()], await Ids("segment=enterprise"));
        Assert.Equal([ids[0].ToString()], await Ids("stage=proposal&product=suite&industry=RETAIL"));
        Assert.Equal([ids[0].ToString()], await Ids("competitor=globex"));
        Assert.Empty(await Ids("competitor=Initech"));
    }

    [Fact]
    public async Task Excel_adds_a_utf8_bom_and_jsonl_gives_one_object_per_line_with_arrays()
    {
        var (region, _, ids) = await Seed();
        var excel = await (await Get($"/api/v1/exports/reports?region={region}&excel=true")).Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, excel[..3]);
        Assert.StartsWith("id,dealId,", Encoding.UTF8.GetString(excel[3..]));

        var response = await Get($"/api/v1/exports/reports?region={region}&format=jsonl");
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith(".jsonl\"", response.Content.Headers.ContentDisposition!.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var first = JsonNode.Parse(lines[0])!.AsObject();
        Assert.Equal(ReportColumns.Split(','), first.Select(p => p.Key).ToArray());
        Assert.Equal(ids[0], first["id"]!.GetValue<long>());
        Assert.Equal(1234.5m, first["amount"]!.GetValue<decimal>());
        Assert.Equal(["Acme Corp", "Globex"], first["competitors"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
        Assert.Equal("=HYPERLINK(\"http://evil\")", first["accountName"]!.GetValue<string>()); // JSON needs no formula guard
        var second = JsonNode.Parse(lines[1])!.AsObject();
        Assert.Null(second["amount"]);
        Assert.Empty(second["competitors"]!.AsArray());
    }

    [Fact]
    public async Task Objections_export_has_one_row_per_objection_with_report_context()
    {
        var (region, _, ids) = await Seed();
        var text = await (await Get($"/api/v1/exports/objections?region={region}")).Content.ReadAsStringAsync();
        Assert.StartsWith(ObjectionColumns + "\r\n", text);
        var rows = CsvText.Records(text);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(ids[0].ToString(), r["reportId"]));
        Assert.Equal(["0", "1"], rows.Select(r => r["position"]).ToArray());
        Assert.Equal("price", rows[0]["category"]);
        Assert.Equal("Acme", rows[0]["competitor"]);
        Assert.Equal("Acme", rows[0]["competitorAsWritten"]);
        Assert.Equal("false", rows[0]["overcome"]);
        Assert.Equal("too expensive", rows[0]["text"]);
        Assert.Equal("integration", rows[1]["category"]);
        Assert.Equal("true", rows[1]["overcome"]);
        Assert.Equal("'-no SSO", rows[1]["text"]);
        Assert.Equal("lost", rows[1]["outcome"]);
        Assert.Equal("1234.5", rows[1]["amount"]);
        Assert.Equal(region, rows[1]["region"]);

        var jsonl = (await (await Get($"/api/v1/exports/objections?region={region}&format=jsonl")).Content.ReadAsStringAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, jsonl.Length);
        Assert.Equal(ObjectionColumns.Split(','), JsonNode.Parse(jsonl[0])!.AsObject().Select(p => p.Key).ToArray());
    }

    [Fact]
    public async Task Every_export_is_audited_with_who_what_filters_and_rows()
    {
        var (region, _, _) = await Seed();
        var (analystId, key) = app.SeedUser("analyst");
        var response = await app.Client(key).GetAsync($"/api/v1/exports/reports?region={region}&outcome=lost&format=jsonl");
        await response.Content.ReadAsStringAsync();
        await app.Client(key).GetAsync($"/api/v1/exports/objections?region={region}");

        using var db = app.OpenDb();
        var entries = db.Query<(string At, string Role, string Action, string Target, string Details)>(
            "SELECT at, role, action, target, details FROM audit_log WHERE user_id = @analystId ORDER BY id", new { analystId }).ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(("analyst", "export", "/api/v1/exports/reports"), (entries[0].Role, entries[0].Action, entries[0].Target));
        var details = JsonNode.Parse(entries[0].Details)!;
        Assert.Equal(1, details["rows"]!.GetValue<long>());
        Assert.Equal("jsonl", details["format"]!.GetValue<string>());
        Assert.Equal(region, details["filters"]!["region"]!.GetValue<string>());
        Assert.Equal("lost", details["filters"]!["outcome"]!.GetValue<string>());
        Assert.True(details["completed"]!.GetValue<bool>());
        Assert.Equal("/api/v1/exports/objections", entries[1].Target);
        Assert.Equal(2, JsonNode.Parse(entries[1].Details)!["rows"]!.GetValue<long>());
        Assert.True(DateTimeOffset.TryParse(entries[0].At, out _));
    }

    [Theory]
    [InlineData("rep", HttpStatusCode.Forbidden)]
    [InlineData("marketing", HttpStatusCode.Forbidden)]
    [InlineData("analyst", HttpStatusCode.OK)]
    [InlineData("admin", HttpStatusCode.OK)]
    public async Task Only_analysts_and_admins_export_raw_reports(string role, HttpStatusCode expected)
    {
        var (_, key) = app.SeedUser(role);
        Assert.Equal(expected, (await app.Client(key).GetAsync("/api/v1/exports/reports?region=none")).StatusCode);
        Assert.Equal(expected, (await app.Client(key).GetAsync("/api/v1/exports/objections?region=none")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(null).GetAsync("/api/v1/exports/reports")).StatusCode);
    }

    [Theory]
    [InlineData("format=xml", "format")]
    [InlineData("excel=maybe", "excel")]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("to=yesterday", "to")]
    [InlineData("from=2026-05-01&to=2026-04-01", "to")]
    [InlineData("segment=huge", "segment")]
    [InlineData("stage=won", "stage")]
    [InlineData("outcome=maybe", "outcome")]
    [InlineData("competitor=%20%20", "competitor")]
    public async Task Bad_query_parameters_are_400_naming_the_parameter(string query, string field)
    {
        foreach (var path in new[] { "reports", "objections" })
        {
            var response = await Get($"/api/v1/exports/{path}?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Null(response.Content.Headers.ContentDisposition);
            var errors = (await response.ReadJson())["errors"]!.AsObject();
            Assert.True(errors.ContainsKey(field), $"expected an error for {field}, got {errors.ToJsonString()}");
        }
    }
}
