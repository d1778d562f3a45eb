using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;
using static WinLoss.Tests.Trends.TrendJson;

namespace WinLoss.Tests.Trends;

/// <summary>GET /api/v1/trends/objections over <see cref="TrendDataSet"/> (see its table for R1..R11).</summary>
public sealed class ObjectionTrendTests(TestApp app) : IClassFixture<TestApp>
{
    private async Task<JsonNode> Get(string query)
    {
        await TrendDataSet.For(app);
        var response = await app.Admin().GetAsync("/api/v1/trends/objections?" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static JsonObject Row(JsonNode body, string period, string category) =>
        body.Row("rows", r => r["period"]!.GetValue<string>() == period && r["category"]!.GetValue<string>() == category);

    [Fact]
    public async Task Mentions_deals_and_reps_weight_the_evidence()
    {
        var body = await Get("granularity=month");
        // January has 3 deals (R1, R2, R3). Price: R1 one mention (overcome), R2 two mentions, both by rep A
        // → mentions 3, deals 2, reps 1; share 2/3: Wilson(2,3) = [0.2077, 0.9385]; overcome 1 of 3 mentions: Wilson(1,3) = [0.0615, 0.7923].
        var price = Row(body, "2026-01", "price");
        Assert.Equal((3, 2, 1, 3), (price["mentions"]!.GetValue<long>(), price["deals"]!.GetValue<long>(), price["reps"]!.GetValue<long>(), price["allDeals"]!.GetValue<long>()));
        AssertRate(price["share"], 0.6667, 3, 0.2077, 0.9385, true);
        AssertRate(price["overcomeRate"], 0.3333, 3, 0.0615, 0.7923, true);
        Assert.Equal(2000m, price.Money("revenueAtRisk", "USD")); // R2 lost 2000 USD; R1 was won
        // No December data: nothing to compare with.
        Assert.Null(price["delta"]);
        Assert.Null(price["z"]);
        Assert.False(price["rising"]!.GetValue<bool>());
        // Integration in January: R3 (no decision, 500 EUR) → revenue at risk in EUR.
        var integration = Row(body, "2026-01", "integration");
        Assert.Equal(1, integration["deals"]!.GetValue<long>());
        Assert.Equal(500m, integration.Money("revenueAtRisk", "EUR"));
    }

    [Fact]
    public async Task Delta_and_z_compare_with_the_previous_period()
    {
        var body = await Get("granularity=month");
        // February has 4 deals (R4, R5, R6, R8; R7 is deleted). Price: R4 and R6, both rep B → deals 2, reps 1, share 2/4.
        // vs January 2/3: delta = 0.5 − 0.6667 = −0.1667; pooled p = 4/7, var = 4/7 · 3/7 · (1/3 + 1/4) = 0.142857,
        // z = −0.16667 / 0.377964 = −0.441 → not rising.
        var feb = Row(body, "2026-02", "price");
        Assert.Equal((2, 2, 1), (feb["mentions"]!.GetValue<long>(), feb["deals"]!.GetValue<long>(), feb["reps"]!.GetValue<long>()));
        AssertRate(feb["share"], 0.5, 4, 0.15, 0.85, true);
        Assert.Equal(-0.1667, feb["delta"]!.GetValue<double>(), 0.0001);
        Assert.Equal(-0.441, feb["z"]!.GetValue<double>(), 0.0005);
        Assert.False(feb["rising"]!.GetValue<bool>());
        Assert.Equal("2026-01", feb["previousPeriod"]!.GetValue<string>());

        // March: integration on all 3 deals (R9, R10 rep A; R11 rep B) vs 0 of 4 in February:
        // pooled p = 3/7, var = 3/7 · 4/7 · (1/4 + 1/3) = 0.142857, z = 1 / 0.377964 = 2.646 ≥ 1.645 → rising.
        var march = Row(body, "2026-03", "integration");
        Assert.Equal((3, 3, 2), (march["mentions"]!.GetValue<long>(), march["deals"]!.GetValue<long>(), march["reps"]!.GetValue<long>()));
        // Wilson(3,3): 1 + z²/3 = 2.28053; centre = (1 + 0.64027)/2.28053 = 0.71925; half = 0.85945 · √(3.8416/36) = 0.28075 → [0.4385, 1]
        AssertRate(march["share"], 1, 3, 0.4385, 1, true);
        Assert.Equal(1.0, march["delta"]!.GetValue<double>(), 0.0001);
        Assert.Equal(2.646, march["z"]!.GetValue<double>(), 0.0005);
        Assert.True(march["rising"]!.GetValue<bool>());
        Assert.Equal(1000m, march.Money("revenueAtRisk", "USD")); // R9 lost 1000 USD; R10 has no amount
    }

    [Fact]
    public async Task Competitor_filter_keeps_objections_naming_it()
    {
        var set = await TrendDataSet.For(app);
        // Objections naming Acme: R1 price (overcome), R2 price (one of its two mentions). R7 is deleted.
        foreach (var competitor in new[] { "Acme", set.AcmeId.ToString(System.Globalization.CultureInfo.InvariantCulture), "ACME" })
        {
            var body = await Get("granularity=month&competitor=" + competitor);
            var row = Assert.Single(body["rows"]!.AsArray())!;
            Assert.Equal(("2026-01", "price"), (row["period"]!.GetValue<string>(), row["category"]!.GetValue<string>()));
            Assert.Equal((2, 2, 1), (row["mentions"]!.GetValue<long>(), row["deals"]!.GetValue<long>(), row["reps"]!.GetValue<long>()));
            AssertRate(row["share"], 0.6667, 3, 0.2077, 0.9385, true); // 2 of January's 3 deals
            Assert.Equal("Acme", body["competitor"]!["name"]!.GetValue<string>());
        }
        var unknown = await app.Admin().GetAsync("/api/v1/trends/objections?competitor=999999");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.NotNull((await unknown.ReadJson())["errors"]!["competitor"]);
    }

    [Fact]
    public async Task A_segment_filter_counts_deals_and_distinct_reps_in_that_segment()
    {
        // smb: R1, R2 (January), R5, R8 (February), R9 (March).
        var body = await Get("granularity=month&segment=smb");
        var price = Row(body, "2026-01", "price");
        Assert.Equal((3, 2, 1, 2), (price["mentions"]!.GetValue<long>(), price["deals"]!.GetValue<long>(), price["reps"]!.GetValue<long>(), price["allDeals"]!.GetValue<long>()));
        // March: R9 integration, 1 of 1 smb deal; February 0 of 2 smb deals:
        // pooled p = 1/3, var = 1/3 · 2/3 · (1/2 + 1) = 0.3333, z = 1 / 0.57735 = 1.732 → rising.
        var march = Row(body, "2026-03", "integration");
        Assert.Equal((1, 1, 1), (march["deals"]!.GetValue<long>(), march["reps"]!.GetValue<long>(), march["allDeals"]!.GetValue<long>()));
        Assert.Equal(1.732, march["z"]!.GetValue<double>(), 0.0005);
        Assert.True(march["rising"]!.GetValue<bool>());
        // Two filters (smb + NA: R5, R9) are answered from the reports: March integration 1 of 1, previous February 0 of 1.
        var two = await Get("granularity=month&segment=smb&region=na");
        var row = Assert.Single(two["rows"]!.AsArray())!;
        Assert.Equal(("2026-03", 1L, 1L), (row["period"]!.GetValue<string>(), row["deals"]!.GetValue<long>(), row["allDeals"]!.GetValue<long>()));
    }

    [Fact]
    public async Task A_cut_period_counts_its_days_and_still_compares_with_the_period_before()
    {
        // from 2026-01-15 to 2026-02-28: January keeps R2 (price ×2, rep A) and R3 (integration) → 2 deals.
        var body = await Get("granularity=month&from=2026-01-15&to=2026-02-28");
        var jan = Row(body, "2026-01", "price");
        Assert.Equal((2, 1, 1, 2), (jan["mentions"]!.GetValue<long>(), jan["deals"]!.GetValue<long>(), jan["reps"]!.GetValue<long>(), jan["allDeals"]!.GetValue<long>()));
        // February (whole) compares with that January: 2/4 vs 1/2 → delta 0; pooled p = 3/6, var = 0.25 · (1/2 + 1/4), z = 0.
        var feb = Row(body, "2026-02", "price");
        Assert.Equal(0.0, feb["delta"]!.GetValue<double>(), 0.0001);
        Assert.Equal(0.0, feb["z"]!.GetValue<double>(), 0.0001);
        Assert.DoesNotContain(body["rows"]!.AsArray(), r => r!["period"]!.GetValue<string>() == "2026-03");
    }

    [Fact]
    public async Task Csv_has_the_documented_columns()
    {
        var set = await TrendDataSet.For(app);
        var csv = await app.Client(set.MarketingKey).GetAsync("/api/v1/trends/objections?granularity=month&format=csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("period,category,mentions,deals,reps,allDeals,share,shareLow,shareHigh,shareLowSample,overcomeRate,overcomeRateLow,overcomeRateHigh,revenueAtRisk,previousPeriod,delta,z,rising", lines[0]);
        Assert.Contains("2026-03,integration,3,3,2,3,1,0.4385,1,true,0.3333,0.0615,0.7923,USD 1000.00,2026-02,1,2.646,true", lines);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(set.RepKey).GetAsync("/api/v1/trends/objections?format=csv")).StatusCode);
    }
}
