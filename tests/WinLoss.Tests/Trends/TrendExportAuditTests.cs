using System.Net;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>Trend CSV downloads are exports: each is written to the audit log with who, which trend, filters and rows.</summary>
public sealed class TrendExportAuditTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task A_trend_csv_download_is_audited_with_filters_and_row_count()
    {
        var (_, repKey) = app.SeedUser("rep");
        await app.Client(repKey).PostReport(Http.Report("AUDIT-CSV-1", b => b["closedOn"] = "2026-03-10"));
        await app.Client(repKey).PostReport(Http.Report("AUDIT-CSV-2", b => { b["closedOn"] = "2026-04-10"; b["outcome"] = "won"; }));
        var (marketingId, marketingKey) = app.SeedUser("marketing");

        var response = await app.Client(marketingKey).GetAsync("/api/v1/trends/competitors?format=csv&granularity=month&from=2026-03-01&to=2026-04-30");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        using var db = app.OpenDb();
        var entry = db.QuerySingle<(long UserId, string Action, string Target, string Details)>(
            "SELECT user_id, action, target, details FROM audit_log WHERE action = 'export' AND user_id = @marketingId", new { marketingId });
        Assert.Equal("/api/v1/trends/competitors", entry.Target);
        Assert.Contains("\"granularity\":\"month\"", entry.Details);
        Assert.Contains("\"from\":\"2026-03-01\"", entry.Details);
        Assert.Contains($"\"rows\":{lines.Length - 1}", entry.Details); // every line but the header
        Assert.True(lines.Length > 1);
    }
}
