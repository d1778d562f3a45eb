using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Identity;

public sealed class AuditLogTests(TestApp app) : IClassFixture<TestApp>
{
    private async Task<List<JsonNode>> All(string query)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var response = await app.Admin().GetAsync("/api/v1/audit?" + query + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.ReadJson();
            items.AddRange(page["items"]!.AsArray().Select(i => i!));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return items;
    }

    private void Insert(string at, long? userId, string action, string target)
    {
        using var db = app.OpenDb();
        db.Execute("INSERT INTO audit_log (at, user_id, role, action, target, details) VALUES (@at, @userId, 'admin', @action, @target, '{\"n\":1}')",
            new { at, userId, action, target });
    }

    [Fact]
    public async Task Entries_come_newest_first_in_pages_and_filter_by_time_action_and_user()
    {
        Insert("2025-03-01T10:00:00.000Z", 7001, "export.made", "t1");
        Insert("2025-03-02T23:59:59.999Z", 7002, "export.made", "t2");
        Insert("2025-03-03T00:00:00.000Z", 7001, "key.issued", "t3");
        Insert("2025-03-04T12:00:00.000Z", 7001, "key.revoked", "t4");

        var march = await All("from=2025-03-01&to=2025-03-31&limit=1");
        Assert.Equal(["t4", "t3", "t2", "t1"], march.Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(1, march[0]["details"]!["n"]!.GetValue<int>());

        Assert.Equal(["t2", "t1"], (await All("from=2025-03-01&to=2025-03-02")).Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(["t4", "t3"], (await All("from=2025-03-03T00:00:00Z&to=2025-12-31")).Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(["t3", "t2"], (await All("from=2025-03-02T23:00:00Z&to=2025-03-03T01:00:00%2B01:00")).Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(["t3"], (await All("from=2025-03-03T01:00:00%2B01:00&to=2025-03-03T00:00:00Z")).Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(["t2", "t1"], (await All("action=export.made&to=2025-12-31")).Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(["t4", "t3"], (await All("action=key.&from=2025-01-01&to=2025-12-31")).Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(["t4", "t3", "t1"], (await All("userId=7001")).Select(e => e["target"]!.GetValue<string>()));
        Assert.Empty(await All("action=key&to=2025-12-31"));
    }

    [Fact]
    public async Task A_deleted_report_is_in_the_audit_log_with_who_and_why()
    {
        var (repId, rep) = app.SeedUser("rep");
        var (analystId, analyst) = app.SeedUser("analyst");
        var id = (await (await app.Client(rep).PostReport(Http.Report($"AU-{Guid.NewGuid():N}"))).ReadJson())["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client(analyst).DeleteAsync($"/api/v1/reports/{id}?reason=test%20data")).StatusCode);

        var entry = Assert.Single(await All($"action=report.deleted&userId={analystId}"));
        Assert.Equal($"report/{id}", entry["target"]!.GetValue<string>());
        Assert.Equal("analyst", entry["role"]!.GetValue<string>());
        Assert.Equal("test data", entry["details"]!["reason"]!.GetValue<string>());
        Assert.Empty(await All($"userId={repId}"));
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2025-02-30", "to")]
    [InlineData("userId=abc", "userId")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=bm9wZQ", "cursor")]
    [InlineData("action=key%20issued", "action")]
    public async Task Bad_filters_are_400_naming_the_parameter(string query, string field)
    {
        var response = await app.Admin().GetAsync("/api/v1/audit?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJson())["errors"]!.AsObject().ContainsKey(field));
    }
}
