using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>
/// GET /api/v1/trends/calibration on a small data set worked out by hand:
/// rep A (team East): D1 price/price, D2 [price, product_gap]/product_gap, D3 price/product_gap, D4 product_gap/product_gap;
/// rep B (team West): D5 price/integration, D6 integration/integration;
/// unpaired lost deals: D7 price (its only feedback deleted), D8 price, D9 product_gap, D10 integration; a won deal with feedback.
/// </summary>
public sealed class CalibrationApiTests(BuyerFeedbackApp fixture) : IClassFixture<BuyerFeedbackApp>
{
    private TestApp App => fixture.App;

    private async Task<(string Prefix, long RepA, long RepB)> SeedAsync()
    {
        var prefix = "CA" + Guid.NewGuid().ToString("N")[..6];
        async Task<(long, string)> NewRep(string name, string team)
        {
            var created = await App.Admin().PostAsync("/api/v1/users", Http.Json(new { email = $"{Guid.NewGuid():N}@example.com", displayName = name, role = "rep", team }));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = await created.ReadJson();
            return (body["user"]!["id"]!.GetValue<long>(), body["key"]!["key"]!.GetValue<string>());
        }
        var (repA, keyA) = await NewRep("Ann Rep", "East");
        var (repB, keyB) = await NewRep("Bob Rep", "West");
        var (_, analyst) = App.SeedUser("analyst");
        var region = prefix; // every deal of this test carries its own region, so the filter isolates it

        async Task Report(string key, string deal, string outcome, params string[] reasons) =>
            Assert.Equal(HttpStatusCode.Created, (await App.Client(key).PostReport(Http.Report($"{prefix}-{deal}", b =>
            {
                b["outcome"] = outcome;
                b["region"] = region;
                b["reasons"] = new JsonArray(reasons.Select((r, i) => (JsonNode)new JsonObject { ["category"] = r, ["primary"] = i == 0 }).ToArray());
            }))).StatusCode);
        async Task<long> Buyer(string deal, params string[] reasons)
        {
            var response = await fixture.Client(analyst).PostAsync($"/api/v1/deals/{prefix}-{deal}/buyer-feedback", Http.Json(BuyerFeedbackApp.Interview(b =>
                b["reasons"] = new JsonArray(reasons.Select(r => (JsonNode)new JsonObject { ["category"] = r }).ToArray())).ToJsonString()));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.ReadJson())["id"]!.GetValue<long>();
        }

        await Report(keyA, "D1", "lost", "price"); await Buyer("D1", "price");
        await Report(keyA, "D2", "lost", "price", "product_gap"); await Buyer("D2", "timing"); await Buyer("D2", "product_gap"); // the latest counts
        await Report(keyA, "D3", "lost", "price"); await Buyer("D3", "product_gap");
        await Report(keyA, "D4", "lost", "product_gap"); await Buyer("D4", "product_gap");
        await Report(keyB, "D5", "lost", "price"); await Buyer("D5", "integration");
        await Report(keyB, "D6", "lost", "integration"); await Buyer("D6", "integration");
        await Report(keyB, "D7", "lost", "price");
        var deleted = await Buyer("D7", "status_quo");
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Client(analyst).DeleteAsync($"/api/v1/deals/{prefix}-D7/buyer-feedback/{deleted}?reason=duplicate")).StatusCode);
        await Report(keyB, "D8", "lost", "price");
        await Report(keyA, "D9", "lost", "product_gap");
        await Report(keyB, "D10", "lost", "integration");
        await Report(keyA, "W1", "won", "relationship"); await Buyer("W1", "price");
        return (prefix, repA, repB);
    }

    [Fact]
    public async Task The_calibration_report_matches_the_hand_computed_figures()
    {
        var (prefix, repA, repB) = await SeedAsync();
        var (_, marketing) = App.SeedUser("marketing");
        var response = await fixture.Client(marketing).GetAsync($"/api/v1/trends/calibration?region={prefix}&minSample=5");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var r = await response.ReadJson();

        Assert.Equal("lost", r["outcome"]!.GetValue<string>());
        Assert.Equal(10, r["deals"]!.GetValue<long>());
        Assert.Equal(10, r["dealsWithReason"]!.GetValue<long>());
        Assert.Equal(6, r["pairedDeals"]!.GetValue<long>());
        Assert.Contains("rest on 6 paired lost deals", r["statement"]!.GetValue<string>());
        Assert.Contains("out of 10 lost deals", r["statement"]!.GetValue<string>());

        // Per reason (any rank). price: rep 4/6 (D1, D2, D3, D5), buyer 1/6 (D1); rep only 3, buyer only 0 → exact p = 2·(1/2)³ = 0.25.
        var reasons = r["reasons"]!.AsArray().ToDictionary(x => x!["category"]!.GetValue<string>(), x => x!);
        var price = reasons["price"];
        Assert.Equal(4, price["repDeals"]!.GetValue<long>());
        Assert.Equal(1, price["buyerDeals"]!.GetValue<long>());
        Assert.Equal(4.0 / 6, price["repShare"]!.GetValue<double>(), 9);
        Assert.Equal(3, price["repOnly"]!.GetValue<long>());
        Assert.Equal(0, price["buyerOnly"]!.GetValue<long>());
        Assert.Equal("exact", price["test"]!.GetValue<string>());
        Assert.Equal(0.25, price["pValue"]!.GetValue<double>(), 9);
        Assert.False(price["significant"]!.GetValue<bool>());
        // Wilson 95% for 1/6: 0.0301, 0.5635
        Assert.Equal(0.0301, price["buyerCi95"]![0]!.GetValue<double>(), 3);
        Assert.Equal(0.5635, price["buyerCi95"]![1]!.GetValue<double>(), 3);
        // product_gap: rep D2, D4; buyer D2, D3, D4 → rep only 0, buyer only 1 → p = 1
        Assert.Equal(1, reasons["product_gap"]["buyerOnly"]!.GetValue<long>());
        Assert.Equal(1.0, reasons["product_gap"]["pValue"]!.GetValue<double>(), 9);

        // Primary agreement: 3 of 6 on the diagonal; rows price 4, gap 1, integration 1; columns price 1, gap 3, integration 2.
        // pₑ = (4·1 + 1·3 + 1·2)/36 = 0.25; κ = (0.5 − 0.25)/0.75 = 1/3.
        var primary = r["primaryAgreement"]!;
        Assert.Equal(3, primary["agreed"]!.GetValue<long>());
        Assert.Equal(0.5, primary["agreementRate"]!.GetValue<double>(), 9);
        Assert.Equal(0.25, primary["expectedAgreement"]!.GetValue<double>(), 9);
        Assert.Equal(1.0 / 3, primary["kappa"]!.GetValue<double>(), 9);
        var cats = primary["categories"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        var m = primary["matrix"]!.AsArray();
        Assert.Equal(2, m[cats.IndexOf("price")]![cats.IndexOf("product_gap")]!.GetValue<long>());
        Assert.Equal(1, m[cats.IndexOf("price")]![cats.IndexOf("integration")]!.GetValue<long>());

        // Per rep: A 2 of 4 primary agreed, names the buyer's primary in 3 of 4; B 1 of 2 and 1 of 2. Both below minSample 5.
        var reps = r["reps"]!.AsArray().ToDictionary(x => x!["repId"]!.GetValue<long>(), x => x!);
        Assert.Equal(4, reps[repA]["n"]!.GetValue<long>());
        Assert.Equal(0.5, reps[repA]["primaryAgreementRate"]!.GetValue<double>(), 9);
        Assert.Equal(0.75, reps[repA]["buyerPrimaryNamedRate"]!.GetValue<double>(), 9);
        Assert.Equal("Ann Rep", reps[repA]["repName"]!.GetValue<string>());
        Assert.True(reps[repA]["lowSample"]!.GetValue<bool>());
        Assert.Equal(0.5, reps[repB]["primaryAgreementRate"]!.GetValue<double>(), 9);
        var teams = r["teams"]!.AsArray().ToDictionary(x => x!["team"]!.GetValue<string>(), x => x!);
        Assert.Equal(4, teams["East"]["n"]!.GetValue<long>());
        Assert.Equal(2, teams["West"]["n"]!.GetValue<long>());

        // Calibrated: q = price 0.6, gap 0.2, integration 0.2; P(buyer | rep price) = 1/4, 2/4, 1/4; the others agree.
        // price = 0.6·0.25 = 0.15; product_gap = 0.6·0.5 + 0.2 = 0.5; integration = 0.6·0.25 + 0.2 = 0.35.
        var calibrated = r["calibrated"]!["rows"]!.AsArray().ToDictionary(x => x!["category"]!.GetValue<string>(), x => x!);
        Assert.Equal(0.6, calibrated["price"]["repShare"]!.GetValue<double>(), 9);
        Assert.Equal(0.15, calibrated["price"]["calibratedShare"]!.GetValue<double>(), 9);
        Assert.Equal(0.5, calibrated["product_gap"]["calibratedShare"]!.GetValue<double>(), 9);
        Assert.Equal(0.35, calibrated["integration"]["calibratedShare"]!.GetValue<double>(), 9);
        foreach (var row in calibrated.Values)
        {
            var ci = row["ci95"]!.AsArray();
            Assert.InRange(row["calibratedShare"]!.GetValue<double>(), ci[0]!.GetValue<double>(), ci[1]!.GetValue<double>());
        }
        Assert.Equal(6, r["calibrated"]!["pairedDeals"]!.GetValue<long>());

        // The projection rebuilt from the write store gives the same report.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client(TestApp.AdminKey).PostAsync("/api/v1/admin/read-model/rebuild", null)).StatusCode);
        var rebuilt = await (await fixture.Client(marketing).GetAsync($"/api/v1/trends/calibration?region={prefix}&minSample=5")).ReadJson();
        Assert.Equal(r.ToJsonString(), rebuilt.ToJsonString());

        var csv = await fixture.Client(marketing).GetAsync($"/api/v1/trends/calibration?region={prefix}&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("category,repDeals,repShare,", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("price,6,0.6,", StringComparison.Ordinal) && l.Contains(",0.15,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reps_may_not_read_it_and_bad_filters_are_400s_naming_the_parameter()
    {
        var (_, rep) = App.SeedUser("rep");
        var (_, analyst) = App.SeedUser("analyst");
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client(rep).GetAsync("/api/v1/trends/calibration")).StatusCode);
        var bad = await fixture.Client(analyst).GetAsync("/api/v1/trends/calibration?from=2026-13-01&outcome=maybe&minSample=0&segment=huge");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.ReadJson())["errors"]!.AsObject();
        foreach (var field in new[] { "from", "outcome", "minSample", "segment" }) Assert.True(errors.ContainsKey(field), field);
    }

    [Fact]
    public async Task Without_paired_deals_it_says_so_plainly_and_shows_the_rep_shares()
    {
        var (_, rep) = App.SeedUser("rep");
        var (_, admin) = App.SeedUser("admin");
        var region = "NP" + Guid.NewGuid().ToString("N")[..6];
        await App.Client(rep).PostReport(Http.Report(region + "-1", b => b["region"] = region));
        var r = await (await fixture.Client(admin).GetAsync($"/api/v1/trends/calibration?region={region}")).ReadJson();
        Assert.Equal(0, r["pairedDeals"]!.GetValue<long>());
        Assert.Contains("cannot be calibrated", r["statement"]!.GetValue<string>());
        var row = Assert.Single(r["calibrated"]!["rows"]!.AsArray())!;
        Assert.Equal("price", row["category"]!.GetValue<string>());
        Assert.Equal(1.0, row["repShare"]!.GetValue<double>(), 9);
        Assert.Null(row["calibratedShare"]);
        Assert.Null(r["primaryAgreement"]!["kappa"]);
    }
}
