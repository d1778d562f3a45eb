using System.Net;
using System.Net.Http.Json;
using Dapper;
using WinLoss.Tests.Imports;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Coverage;

/// <summary>
/// Report requests from the real CRM export (tests/WinLoss.Tests/Fixtures/crm-sales-opportunities, 8,800 opportunities of
/// 30 sales agents, 6,711 of them won or lost). Expected counts come from the CSV itself, counted here line by line.
/// <para>Tier "Volume": the whole sample goes through the importer, seconds of CPU; the full run has it, --fast does not.</para>
/// </summary>
[Trait("Tier", "Volume")]
public sealed class CrmCoverageTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly string Dataset = Path.Combine(Repo.Root, "tests", "WinLoss.Tests", "Fixtures", "crm-sales-opportunities");
    private static readonly string Mapping = File.ReadAllText(Path.Combine(Repo.Root, "scripts", "import-examples", "crm-sales-opportunities.json"));

    /// <summary>Closed (Won or Lost) opportunities per sales agent, straight from sales_pipeline.csv (no quoted fields in it).</summary>
    private static Dictionary<string, int> ClosedPerAgent() =>
        File.ReadLines(Path.Combine(Dataset, "sales_pipeline.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Where(f => f[4] is "Won" or "Lost")
            .GroupBy(f => f[1]).ToDictionary(g => g.Key, g => g.Count());

    private async Task<System.Text.Json.Nodes.JsonNode> Import()
    {
        var form = ImportHttp.Form(Mapping, await File.ReadAllBytesAsync(Path.Combine(Dataset, "sales_pipeline.csv")),
        [
            ("sales_teams", await File.ReadAllBytesAsync(Path.Combine(Dataset, "sales_teams.csv"))),
            ("accounts", await File.ReadAllBytesAsync(Path.Combine(Dataset, "accounts.csv"))),
        ]);
        var client = app.Admin();
        client.Timeout = TimeSpan.FromMinutes(5); // 6,711 deals in one request: minutes on a loaded 2-core machine
        var response = await client.PostAsync("/api/v1/imports/crm", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJson();
    }

    private async Task<Dictionary<string, long>> WaitingPerRep()
    {
        using var db = app.OpenDb();
        var reps = db.Query<(long Id, string Name)>("SELECT id, display_name FROM users WHERE role = 'rep'").ToList();
        var waiting = new Dictionary<string, long>();
        foreach (var (id, name) in reps)
            waiting[name] = (await (await app.Admin().GetAsync($"/api/v1/deals/waiting?repId={id}&limit=1")).ReadJson())["total"]!.GetValue<long>();
        return waiting;
    }

    [Fact]
    public async Task After_importing_the_crm_export_each_rep_is_asked_for_exactly_their_unreported_closed_deals()
    {
        // Moses Frase already reported 1C1I7A6R (Won, closed 3/1/2017) before the import.
        var (mosesId, mosesKey) = app.SeedUser("rep", "moses.frase@example.com");
        using (var db = app.OpenDb()) db.Execute("UPDATE users SET display_name = 'Moses Frase' WHERE id = @mosesId", new { mosesId });
        var early = await app.Client(mosesKey).PostReport(Http.Report("1C1I7A6R", r => { r["outcome"] = "won"; r["closedOn"] = "2017-03-01"; r.Remove("reasons"); }));
        Assert.Equal(HttpStatusCode.Created, early.StatusCode);

        var first = await Import();
        Assert.Equal((6710L, 1L), (first["created"]!.GetValue<long>(), first["skippedBy"]!["existingReport"]!.GetValue<long>()));

        var closed = ClosedPerAgent();
        Assert.Equal(30, closed.Count);
        Assert.Equal(6711, closed.Values.Sum());
        var expected = closed.ToDictionary(kv => kv.Key, kv => (long)kv.Value - (kv.Key == "Moses Frase" ? 1 : 0));
        Assert.Equal(expected, await WaitingPerRep());
        using (var db = app.OpenDb()) Assert.Equal(6711, db.ExecuteScalar<long>("SELECT COUNT(*) FROM closed_deals"));

        // Darcel Schlecht (created by the import, no key yet) files the report for his first waiting deal, prefilled from the list.
        long darcelId;
        using (var db = app.OpenDb()) darcelId = db.ExecuteScalar<long>("SELECT id FROM users WHERE display_name = 'Darcel Schlecht'");
        var key = (await (await app.Admin().PostAsync($"/api/v1/users/{darcelId}/keys", null)).ReadJson())["key"]!.GetValue<string>();
        var darcel = app.Client(key);
        var list = await (await darcel.GetAsync("/api/v1/deals/waiting?limit=5")).ReadJson();
        Assert.Equal(closed["Darcel Schlecht"], list["total"]!.GetValue<long>());
        var deal = list["deals"]![0]!;
        var dealId = deal["dealId"]!.GetValue<string>();
        var filed = await darcel.PostReport(Http.Report(dealId, r =>
        {
            r["outcome"] = deal["outcome"]!.GetValue<string>();
            r["closedOn"] = deal["closedOn"]!.GetValue<string>();
            r["accountName"] = deal["account"]!.GetValue<string>();
            if (deal["outcome"]!.GetValue<string>() == "won") r.Remove("reasons");
            if (deal["amount"] is { } amount) r["amount"] = amount.GetValue<decimal>(); else { r.Remove("amount"); r.Remove("currency"); }
        }));
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        expected["Darcel Schlecht"]--;
        Assert.Equal(expected, await WaitingPerRep());
        using (var db = app.OpenDb())
            Assert.Equal(1, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE deal_id = @dealId AND deleted_at IS NULL", new { dealId }));

        // Re-importing the same file creates no deal, no request and no report, and overwrites neither rep's report.
        var again = await Import();
        Assert.Equal((0L, 0L, 2L), (again["created"]!.GetValue<long>(), again["updated"]!.GetValue<long>(), again["skippedBy"]!["existingReport"]!.GetValue<long>()));
        Assert.Equal(expected, await WaitingPerRep());
        using (var db = app.OpenDb())
        {
            Assert.Equal(6711, db.ExecuteScalar<long>("SELECT COUNT(*) FROM closed_deals"));
            Assert.Equal(6711, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE deleted_at IS NULL"));
        }
    }
}
