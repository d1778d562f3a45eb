using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Api.Features.Competitors;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Competitors;

/// <summary>Keys stored by an older key function are recomputed from the names as written.</summary>
public sealed class CompetitorKeysTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public void A_fresh_database_is_on_the_current_key_version()
    {
        using var db = app.OpenDb();
        Assert.Equal(CompetitorKeys.Version, db.ExecuteScalar<int>("SELECT version FROM competitor_key_version"));
    }

    [Fact]
    public async Task Rekeying_fixes_stale_keys_and_re_attributes_reports()
    {
        var (_, rep) = app.SeedUser("rep");
        var sap = (await (await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "SAP" }))).ReadJson())["id"]!.GetValue<long>();
        var other = (await (await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "Sapient" }))).ReadJson())["id"]!.GetValue<long>();
        var body = Http.Report("KEY-1", b =>
        {
            b["competitors"] = new JsonArray(new JsonObject { ["name"] = "S.A.P. SE" });
            b["objections"] = new JsonArray(new JsonObject { ["category"] = "price", ["competitor"] = "SAP AG", ["overcome"] = false });
        });
        var reportId = (await (await app.Client(rep).PostReport(body)).ReadJson())["id"]!.GetValue<long>();

        using var db = app.OpenDb();
        // Make the database look as an older key function left it: the alias "S A P" stored under a stale key
        // that collides with nothing, the report's names under stale keys and unmatched.
        db.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES ('s a p', 'S A P', @sap)", new { sap });
        db.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES ('sap stale', 'Sap', @other)", new { other });
        db.Execute("UPDATE report_competitors SET normalized = 'sapse', competitor_id = NULL WHERE report_id = @reportId", new { reportId });
        db.Execute("UPDATE report_objections SET competitor_normalized = 'sapag', competitor_id = NULL WHERE report_id = @reportId", new { reportId });

        CompetitorKeys.RekeyResult result;
        using (var t = db.BeginTransaction())
        {
            result = CompetitorKeys.Rekey(db, t);
            t.Commit();
        }

        Assert.Equal(2, result.AliasesChanged);
        Assert.Equal(1, result.AliasConflicts); // "Sap" (of Sapient) now has SAP's key: SAP keeps it
        Assert.Equal(2, result.RowsChanged);
        Assert.Equal(1, result.ReportsReattributed);
        Assert.Equal(sap, db.ExecuteScalar<long>("SELECT competitor_id FROM competitor_aliases WHERE normalized = 'sap'"));
        Assert.Equal(0, db.ExecuteScalar<int>("SELECT COUNT(*) FROM competitor_aliases WHERE normalized IN ('s a p', 'sap stale')"));
        Assert.Equal(("sap", sap), db.QuerySingle<(string, long)>("SELECT normalized, competitor_id FROM report_competitors WHERE report_id = @reportId", new { reportId }));
        Assert.Equal(("sap", sap), db.QuerySingle<(string, long)>("SELECT competitor_normalized, competitor_id FROM report_objections WHERE report_id = @reportId", new { reportId }));

        var shown = await (await app.Admin().GetAsync($"/api/v1/reports/{reportId}")).ReadJson();
        Assert.Equal(sap, shown["competitors"]![0]!["competitorId"]!.GetValue<long>());
        Assert.Equal("S.A.P. SE", shown["competitors"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().GetAsync($"/api/v1/competitors/{other}")).StatusCode);

        // Running it again changes nothing.
        using var t2 = db.BeginTransaction();
        Assert.Equal(new CompetitorKeys.RekeyResult(0, 0, 0, 0), CompetitorKeys.Rekey(db, t2));
    }
}
