using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;
using static WinLoss.Tests.Trends.TrendJson;

namespace WinLoss.Tests.Trends;

/// <summary>Reasons, messages, lead sources, collateral, alerts and the competitor profile over <see cref="TrendDataSet"/>.</summary>
public sealed class BreakdownTrendTests(TestApp app) : IClassFixture<TestApp>
{
    private async Task<JsonNode> Get(string path)
    {
        await TrendDataSet.For(app);
        var response = await app.Admin().GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Loss_reasons_by_competitor_share_the_deals_lost_where_it_was_named()
    {
        var body = await Get("/api/v1/trends/reasons?by=competitor&outcome=lost");
        // Lost: R2 (Acme, Globex; price*), R4 (Globex; product_gap*, price), R9 and R10 (none; integration*). R7 is deleted.
        // Globex: 2 lost deals; price on both (primary on R2 only) → share 2/2; product_gap 1 of 2.
        var price = body.Row("rows", r => r.CompetitorName() == "Globex" && r["category"]!.GetValue<string>() == "price");
        Assert.Equal((2, 1), (price["deals"]!.GetValue<long>(), price["primary"]!.GetValue<long>()));
        // Wilson(2,2): 1 + z²/2 = 2.9208; centre = (1 + 0.9604)/2.9208 = 0.6712; half = 0.67105 · √(3.8416/16) = 0.3288 → [0.3424, 1]
        AssertRate(price["share"], 1, 2, 0.3424, 1, true);
        var gap = body.Row("rows", r => r.CompetitorName() == "Globex" && r["category"]!.GetValue<string>() == "product_gap");
        AssertRate(gap["share"], 0.5, 2, 0.0945, 0.9055, true);
        var none = body.Row("rows", r => r["competitor"] is null && r["category"]!.GetValue<string>() == "integration");
        Assert.Equal(2, none["deals"]!.GetValue<long>());
    }

    [Fact]
    public async Task Reasons_by_segment_divide_by_the_outcome_deals_of_each_segment()
    {
        var body = await Get("/api/v1/trends/reasons?by=segment&outcome=lost");
        // smb lost: R2 (price), R9 (integration) → each 1 of 2; enterprise lost: R4 → product_gap 1 of 1.
        var smbPrice = body.Row("rows", r => r["group"]!.GetValue<string>() == "smb" && r["category"]!.GetValue<string>() == "price");
        AssertRate(smbPrice["share"], 0.5, 2, 0.0945, 0.9055, true);
        var entGap = body.Row("rows", r => r["group"]!.GetValue<string>() == "enterprise" && r["category"]!.GetValue<string>() == "product_gap");
        Assert.Equal((1, 1), (entGap["deals"]!.GetValue<long>(), entGap["primary"]!.GetValue<long>()));
        var bad = await app.Admin().GetAsync("/api/v1/trends/reasons?by=weather");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await bad.ReadJson())["errors"]!["by"]);
    }

    [Fact]
    public async Task Message_resonance_and_lift_by_segment()
    {
        var body = await Get("/api/v1/trends/messages?by=segment");
        // smb uses of m1: R1 won/resonated, R2 lost/fell flat, R5 won/resonated → uses 3, resonance 2/3.
        // Win rate when used 2/3; smb deals not using m1: R8 won, R9 lost → 1/2; lift = 0.6667 − 0.5 = 0.1667.
        var smb = body.Row("rows", r => r["messageId"]!.GetValue<string>() == "m1" && r["group"]!.GetValue<string>() == "smb");
        Assert.Equal((3, 2, 0, 1), (smb["uses"]!.GetValue<long>(), smb["resonated"]!.GetValue<long>(), smb["neutral"]!.GetValue<long>(), smb["fellFlat"]!.GetValue<long>()));
        AssertRate(smb["resonanceRate"], 0.6667, 3, 0.2077, 0.9385, true);
        AssertRate(smb["winRateWhenUsed"], 0.6667, 3, 0.2077, 0.9385, true);
        AssertRate(smb["winRateWhenNotUsed"], 0.5, 2, 0.0945, 0.9055, true);
        Assert.Equal(0.1667, smb["lift"]!.GetValue<double>(), 0.0001);
        // enterprise: R4 lost/neutral; the only other enterprise deal (R3) is no decision → no win rate when not used, no lift.
        var ent = body.Row("rows", r => r["messageId"]!.GetValue<string>() == "m1" && r["group"]!.GetValue<string>() == "enterprise");
        AssertRate(ent["winRateWhenNotUsed"], null, 0, null, null, true);
        Assert.Null(ent["lift"]);
        Assert.DoesNotContain(body["rows"]!.AsArray(), r => r!["group"]!.GetValue<string>() == "mid_market");
    }

    [Fact]
    public async Task Lead_sources_with_win_rate_and_average_quality()
    {
        var body = await Get("/api/v1/trends/lead-sources");
        // webinar: R1 won (quality 4), R2 lost (quality 2) → win 1/2, average quality 3.
        var webinar = body.Row("rows", r => r["leadSource"]?.GetValue<string>() == "webinar");
        AssertRate(webinar["winRate"], 0.5, 2, 0.0945, 0.9055, true);
        Assert.Equal(3.0, webinar["avgLeadQuality"]!.GetValue<double>(), 0.0001);
        // No lead source: R4, R5, R6, R8, R9, R10, R11 → 7 deals, won 4 (R5, R6, R8, R11), lost 3 → 4/7 = 0.5714.
        var none = body.Row("rows", r => r["leadSource"] is null);
        Assert.Equal(7, none["deals"]!.GetValue<long>());
        Assert.Equal(0.5714, none["winRate"]!["value"]!.GetValue<double>(), 0.0001);
        Assert.Null(none["avgLeadQuality"]);
    }

    [Fact]
    public async Task Collateral_lists_unused_items_with_zero_uses()
    {
        var body = await Get("/api/v1/trends/collateral");
        // c1: R1 won, R5 won → 2 uses, 2/2; c2: R5 → 1; c3 never used → 0 uses, no win rate.
        var c1 = body.Row("rows", r => r["collateralId"]!.GetValue<string>() == "c1");
        Assert.Equal(2, c1["uses"]!.GetValue<long>());
        AssertRate(c1["winRateWhenUsed"], 1, 2, 0.3424, 1, true);
        var c3 = body.Row("rows", r => r["collateralId"]!.GetValue<string>() == "c3");
        Assert.Equal(0, c3["uses"]!.GetValue<long>());
        AssertRate(c3["winRateWhenUsed"], null, 0, null, null, true);
    }

    [Fact]
    public async Task Alerts_list_what_is_rising_now()
    {
        var body = await Get("/api/v1/trends/alerts?granularity=month&to=2026-03-31");
        Assert.Equal(("2026-03", "2026-02"), (body["period"]!.GetValue<string>(), body["previousPeriod"]!.GetValue<string>()));
        // Integration: 0 of 4 deals in February, 3 of 3 in March → z = 2.646 (see ObjectionTrendTests). Nothing else rises:
        // price 2/4 → 0/3; Globex's share of lost deals 1/1 (R4) → 0/2 (R9, R10 name nobody).
        var alert = Assert.Single(body["alerts"]!.AsArray())!;
        Assert.Equal(("objection", "integration"), (alert["kind"]!.GetValue<string>(), alert["category"]!.GetValue<string>()));
        Assert.Equal(2.646, alert["z"]!.GetValue<double>(), 0.0005);
        Assert.Equal(1.0, alert["delta"]!.GetValue<double>(), 0.0001);
        AssertRate(alert["previous"], 0, 4, 0, 0.4899, true); // Wilson(0,4): centre = half = 0.9604/1.9604 = 0.4899
        // One-sided p = 1 − Φ(2.646): Φ(2.64) = 0.99585, Φ(2.65) = 0.99598 (table) → Φ(2.646) ≈ 0.99593, p ≈ 0.00407.
        // Every other test of the family fell or stayed (p ≥ 0.5), so BH gives q = p·m with m the number of tests.
        Assert.Equal(0.00407, alert["p"]!.GetValue<double>(), 0.00002);
        var m = body["tested"]!.GetValue<int>();
        Assert.Equal(0.00407 * m, alert["q"]!.GetValue<double>(), 0.00002 * m);
        Assert.True(alert["q"]!.GetValue<double>() <= 0.10);
        Assert.Equal((0L, 4L, 3L, 3L), (alert["counts"]!["before"]!.GetValue<long>(), alert["counts"]!["ofBefore"]!.GetValue<long>(),
            alert["counts"]!["now"]!.GetValue<long>(), alert["counts"]!["ofNow"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Competitor_profile_is_head_to_head()
    {
        var set = await TrendDataSet.For(app);
        var body = await Get($"/api/v1/competitors/{set.AcmeId}/profile?granularity=month");
        Assert.Equal("Acme", body["competitor"]!["name"]!.GetValue<string>());
        // Series: January R1 won, R2 lost → 1/2; February R6 won → 1/1. Overall 2/3.
        Assert.Equal(["2026-01", "2026-02"], body["series"]!.AsArray().Select(r => r!["period"]!.GetValue<string>()));
        AssertRate(body["overall"]!["winRate"], 0.6667, 3, 0.2077, 0.9385, true);
        // Lost to Acme: R2 only, reason price → share 1/1.
        var reason = Assert.Single(body["topLossReasons"]!.AsArray())!;
        Assert.Equal(("price", 1L), (reason["category"]!.GetValue<string>(), reason["share"]!["n"]!.GetValue<long>()));
        // Objections naming Acme: R1 price (overcome), R2 price → 2 mentions, 2 deals, overcome 1/2.
        var objection = Assert.Single(body["topObjections"]!.AsArray())!;
        Assert.Equal((2, 2), (objection["mentions"]!.GetValue<long>(), objection["deals"]!.GetValue<long>()));
        // By segment: smb R1 won, R2 lost; mid_market R6 won.
        var smb = body.Row("bySegment", r => r["segment"]!.GetValue<string>() == "smb");
        AssertRate(smb["winRate"], 0.5, 2, 0.0945, 0.9055, true);
        Assert.Equal(2, body["bySegment"]!.AsArray().Count);
        // Messages against Acme: m1 on R1 (resonated) and R2 (fell flat) → resonance 1/2.
        var message = Assert.Single(body["messages"]!.AsArray())!;
        AssertRate(message["resonanceRate"], 0.5, 2, 0.0945, 0.9055, true);

        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin().GetAsync("/api/v1/competitors/999999/profile")).StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/trends/reasons")]
    [InlineData("/api/v1/trends/messages")]
    [InlineData("/api/v1/trends/lead-sources")]
    [InlineData("/api/v1/trends/collateral")]
    [InlineData("/api/v1/trends/alerts")]
    public async Task Every_trend_answers_csv_for_marketing_and_403_for_reps(string path)
    {
        var set = await TrendDataSet.For(app);
        var csv = await app.Client(set.MarketingKey).GetAsync(path + "?format=csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.False(string.IsNullOrEmpty(await csv.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(set.RepKey).GetAsync(path + "?format=csv")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client(set.RepKey).GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client(set.RepKey).GetAsync(path + "?minSample=x")).StatusCode);
    }
}
