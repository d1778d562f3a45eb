using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Competitors;

/// <summary>Mapping and merging fix history in the trends too: the competitor trend follows every re-attribution.</summary>
public sealed class TriageTrendTests(TestApp app) : IClassFixture<TestApp>
{
    private async Task File(string key, string dealId, string outcome, string competitor)
    {
        var response = await app.Client(key).PostReport(Http.Report(dealId, b =>
        {
            b["outcome"] = outcome;
            b["closedOn"] = "2026-06-10";
            b["competitors"] = new JsonArray(new JsonObject { ["name"] = competitor, ["primary"] = true });
            b["objections"] = new JsonArray();
        }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>Overall row per competitor name → (deals, won, lost), from GET /trends/competitors.</summary>
    private async Task<Dictionary<string, (long Deals, long Won, long Lost)>> Overall()
    {
        var response = await app.Admin().GetAsync("/api/v1/trends/competitors?from=2026-06-01&to=2026-06-30&granularity=month");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["overall"]!.AsArray()
            .Where(r => r!["competitor"] is not null)
            .ToDictionary(r => r!["competitor"]!["name"]!.GetValue<string>(),
                r => (r!["deals"]!.GetValue<long>(), r["won"]!.GetValue<long>(), r["lost"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Mapping_and_merging_move_the_deals_in_the_competitor_trend()
    {
        var (_, rep) = app.SeedUser("rep");
        var salesforce = (await (await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "Salesforce" }))).ReadJson())["id"]!.GetValue<long>();
        var hubspot = (await (await app.Admin().PostAsync("/api/v1/competitors", Http.Json(new { name = "HubSpot" }))).ReadJson())["id"]!.GetValue<long>();
        await File(rep, "TT-1", "won", "Salesforce");
        await File(rep, "TT-2", "lost", "Salesforse");
        await File(rep, "TT-3", "lost", "salesforse inc");
        await File(rep, "TT-4", "won", "HubSpot");

        var before = await Overall();
        Assert.Equal((1L, 1L, 0L), before["Salesforce"]);
        Assert.Equal(2L, before.Where(kv => kv.Key.StartsWith("Salesforse", StringComparison.OrdinalIgnoreCase) || kv.Key.StartsWith("salesforse", StringComparison.Ordinal)).Sum(kv => kv.Value.Deals));

        var map = await app.Admin().PostAsync("/api/v1/competitors/unmatched/map", Http.Json(new { name = "Salesforse", competitorId = salesforce }));
        Assert.Equal(HttpStatusCode.OK, map.StatusCode);
        var mapped = await Overall();
        Assert.Equal((3L, 1L, 2L), mapped["Salesforce"]); // 1 won + the 2 lost deals that named the misspelling
        Assert.DoesNotContain(mapped.Keys, k => k.Contains("forse", StringComparison.OrdinalIgnoreCase));

        Assert.Equal(HttpStatusCode.OK, (await app.Admin().PostAsync($"/api/v1/competitors/{hubspot}/merge", Http.Json(new { intoId = salesforce }))).StatusCode);
        var merged = await Overall();
        Assert.Equal((4L, 2L, 2L), merged["Salesforce"]);
        Assert.False(merged.ContainsKey("HubSpot"));

        // What the re-attributions left in the read model is what a rebuild from the reports computes.
        Assert.Equal(HttpStatusCode.OK, (await app.Admin().PostAsync("/api/v1/admin/read-model/rebuild", null)).StatusCode);
        Assert.Equal(merged, await Overall());
    }
}
