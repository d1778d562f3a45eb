using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;
using static WinLoss.Tests.Trends.TrendJson;

namespace WinLoss.Tests.Trends;

/// <summary>GET /api/v1/trends/competitors over <see cref="TrendDataSet"/> (see its table for R1..R11).</summary>
public sealed class CompetitorTrendTests(TestApp app) : IClassFixture<TestApp>
{
    private async Task<JsonNode> Get(string query)
    {
        await TrendDataSet.For(app);
        var response = await app.Admin().GetAsync("/api/v1/trends/competitors?" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Monthly_rows_count_won_lost_and_no_decision_with_wilson_intervals()
    {
        var body = await Get("granularity=month");
        // January vs Acme: R1 won (1000 USD), R2 lost (2000 USD) → deals 2, win rate 1/2.
        // Wilson(1, 2) = [0.0945, 0.9055] (see StatisticsTests); n = 2 < 20 → lowSample.
        var acme = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r.CompetitorName() == "Acme");
        Assert.Equal(2, acme["deals"]!.GetValue<long>());
        Assert.Equal(1, acme["won"]!.GetValue<long>());
        Assert.Equal(1, acme["lost"]!.GetValue<long>());
        Assert.Equal(0, acme["noDecision"]!.GetValue<long>());
        AssertRate(acme["winRate"], 0.5, 2, 0.0945, 0.9055, true);
        // no decision 0 of 2 deals: Wilson(0, 2): centre = 0.9604/2.9208 = 0.3288 = half → [0, 0.6576]
        AssertRate(acme["noDecisionRate"], 0, 2, 0, 0.6576, true);
        Assert.Equal(1000m, acme.Money("revenueWon", "USD"));
        Assert.Equal(2000m, acme.Money("revenueLost", "USD"));
        Assert.True(acme["competitor"]!["matched"]!.GetValue<bool>());

        // Globex is named on R2 only in January (lost 2000 USD): win rate 0/1.
        var globex = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r.CompetitorName() == "Globex");
        Assert.Equal(1, globex["lost"]!.GetValue<long>());
        Assert.Equal(2000m, globex.Money("revenueLost", "USD"));
    }

    [Fact]
    public async Task Reports_naming_no_competitor_form_one_row_with_competitor_null()
    {
        var body = await Get("granularity=month");
        // January: R3 (no decision, 500 EUR) names nobody → deals 1; win rate has n = 0 (no won or lost deal): null, no interval.
        var none = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r["competitor"] is null);
        Assert.Equal(1, none["deals"]!.GetValue<long>());
        Assert.Equal(1, none["noDecision"]!.GetValue<long>());
        AssertRate(none["winRate"], null, 0, null, null, true);
        // no-decision 1 of 1: Wilson(1,1): 1 + z² = 4.8416; centre = (1 + 1.9208)/4.8416 = 0.6033; half = 1.96/4.8416·√(0.9604) = 0.3967 → [0.2065, 1]
        AssertRate(none["noDecisionRate"], 1, 1, 0.2065, 1, true);
        Assert.Empty(none["revenueWon"]!.AsObject());
        // March: R9 lost, R10 lost, R11 won, none named → 3 deals, win rate 1/3.
        var march = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-03" && r["competitor"] is null);
        Assert.Equal(3, march["deals"]!.GetValue<long>());
        AssertRate(march["winRate"], 0.3333, 3, 0.0615, 0.7923, true);
        Assert.Equal(1000m, march.Money("revenueLost", "USD")); // R10 has no amount
    }

    [Fact]
    public async Task Deleted_reports_never_count_and_amendments_move_the_deal()
    {
        var body = await Get("granularity=month");
        // February vs Acme: R6 only. R7 (lost to Acme) is deleted; R8 was amended from "lost to Acme" to "won vs Globex".
        var acme = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r.CompetitorName() == "Acme");
        Assert.Equal(1, acme["deals"]!.GetValue<long>());
        Assert.Equal(0, acme["lost"]!.GetValue<long>());
        Assert.Empty(acme["revenueWon"]!.AsObject()); // R6 has no amount
        // February vs Globex: R4 lost (3000 USD) and R8 won (100 USD).
        var globex = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r.CompetitorName() == "Globex");
        Assert.Equal((2, 1, 1), (globex["deals"]!.GetValue<long>(), globex["won"]!.GetValue<long>(), globex["lost"]!.GetValue<long>()));
        Assert.Equal(100m, globex.Money("revenueWon", "USD"));
        Assert.Equal(3000m, globex.Money("revenueLost", "USD"));
        // An unmatched name is its own row, as written.
        var initech = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r.CompetitorName() == "Initech");
        Assert.False(initech["competitor"]!["matched"]!.GetValue<bool>());
        Assert.Null(initech["competitor"]!["id"]);
        Assert.Equal(4000m, initech.Money("revenueWon", "USD"));
    }

    [Fact]
    public async Task Overall_rows_sum_every_period_and_minSample_sets_lowSample()
    {
        var body = await Get("granularity=quarter&minSample=3");
        // Acme overall: R1 won, R2 lost, R6 won → 3 deals, win rate 2/3: Wilson(2,3) = [0.2077, 0.9385]; n = 3 ≥ minSample 3.
        var acme = body.Row("overall", r => r.CompetitorName() == "Acme");
        Assert.Null(acme["period"]);
        Assert.Equal(3, acme["deals"]!.GetValue<long>());
        AssertRate(acme["winRate"], 0.6667, 3, 0.2077, 0.9385, false);
        // None named overall: R3 (no decision), R9, R10 (lost), R11 (won) → 4 deals, win 1/3, no decision 1/4.
        var none = body.Row("overall", r => r["competitor"] is null);
        Assert.Equal(4, none["deals"]!.GetValue<long>());
        // Wilson(1,4): 1 + z²/4 = 1.9604; centre = (0.25 + 0.4802)/1.9604 = 0.3725; half = 1.96/1.9604·√(0.046875 + 0.060025) = 0.3268 → [0.0456, 0.6994]
        AssertRate(none["noDecisionRate"], 0.25, 4, 0.0456, 0.6994, false);
        // One quarter: Q1 row equals the overall for Acme.
        var q1 = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-Q1" && r.CompetitorName() == "Acme");
        Assert.Equal(3, q1["deals"]!.GetValue<long>());
    }

    [Fact]
    public async Task Primary_only_counts_each_report_once_under_its_primary_competitor()
    {
        var body = await Get("granularity=month&primaryOnly=true");
        Assert.True(body["primaryOnly"]!.GetValue<bool>());
        // January: R1, R2 have Acme primary (Globex on R2 is not primary) → Acme 2, no Globex row; R3 → none.
        Assert.Equal(2, body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r.CompetitorName() == "Acme")["deals"]!.GetValue<long>());
        Assert.DoesNotContain(body["rows"]!.AsArray(), r => r!["period"]!.GetValue<string>() == "2026-01" && r.CompetitorName() == "Globex");
        // February: R4 and R8 have Globex primary; R5 (Initech) and R6 (Acme) have no primary → the null row holds 2.
        Assert.Equal(2, body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r.CompetitorName() == "Globex")["deals"]!.GetValue<long>());
        Assert.Equal(2, body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r["competitor"] is null)["deals"]!.GetValue<long>());
    }

    [Fact]
    public async Task One_filter_reads_its_slice_and_two_filters_match_case_insensitively()
    {
        // segment=smb: R1, R2, R5, R8, R9.
        var smb = await Get("granularity=month&segment=smb");
        Assert.Equal(2, smb.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r.CompetitorName() == "Acme")["deals"]!.GetValue<long>());
        Assert.Equal(1, smb.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r.CompetitorName() == "Globex")["won"]!.GetValue<long>());
        Assert.Equal(1, smb.Row("rows", r => r["period"]!.GetValue<string>() == "2026-03" && r["competitor"] is null)["deals"]!.GetValue<long>());
        Assert.Equal(5, smb["rows"]!.AsArray().Count); // Jan Acme, Jan Globex, Feb Globex (R8), Feb Initech (R5), Mar none (R9)
        // segment=smb & region=emea (stored "EMEA"): R1, R2, R8 → Jan Acme 2, Jan Globex 1, Feb Globex 1; nothing in March.
        var both = await Get("granularity=month&segment=smb&region=emea");
        Assert.Equal(3, both["rows"]!.AsArray().Count);
        Assert.Equal(2, both.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r.CompetitorName() == "Acme")["deals"]!.GetValue<long>());
        Assert.Equal(1, both.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r.CompetitorName() == "Globex")["deals"]!.GetValue<long>());
        // Quarters of a slice are summed from its months: Q1 smb → Acme 2 (R1, R2), Globex 2 (R2, R8), Initech 1, none 1.
        var quarter = await Get("granularity=quarter&segment=smb");
        Assert.Equal(2, quarter.Row("rows", r => r.CompetitorName() == "Globex")["deals"]!.GetValue<long>());
        Assert.Equal(4, quarter["rows"]!.AsArray().Count);
        // Weeks of a slice come from the reports: R8 (2026-02-25, a Wednesday) is in 2026-W09.
        var week = await Get("granularity=week&segment=smb&from=2026-02-23&to=2026-03-01");
        Assert.Equal("Globex", Assert.Single(week["rows"]!.AsArray())!.CompetitorName());
        // A value nobody reported gives no rows.
        Assert.Empty((await Get("region=Atlantis"))["rows"]!.AsArray());
    }

    [Fact]
    public async Task A_range_that_cuts_a_period_counts_only_its_days()
    {
        // from 2026-01-15: January keeps R2 (lost, Acme + Globex) and R3 (no decision, none); February is whole; March is out.
        var body = await Get("granularity=month&from=2026-01-15&to=2026-02-28");
        var acme = body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r.CompetitorName() == "Acme");
        Assert.Equal((1, 0, 1), (acme["deals"]!.GetValue<long>(), acme["won"]!.GetValue<long>(), acme["lost"]!.GetValue<long>()));
        Assert.Equal(1, body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-01" && r["competitor"] is null)["noDecision"]!.GetValue<long>());
        Assert.Equal(2, body.Row("rows", r => r["period"]!.GetValue<string>() == "2026-02" && r.CompetitorName() == "Globex")["deals"]!.GetValue<long>());
        Assert.DoesNotContain(body["rows"]!.AsArray(), r => r!["period"]!.GetValue<string>() == "2026-03");
        Assert.Equal("2026-01-15", body["from"]!.GetValue<string>());
    }

    [Fact]
    public async Task Weekly_labels_are_iso_weeks()
    {
        var body = await Get("granularity=week&from=2026-01-05&to=2026-01-11");
        // R1 closed Saturday 2026-01-10: ISO week 2026-W02 (Mon 01-05 .. Sun 01-11).
        var row = Assert.Single(body["rows"]!.AsArray());
        Assert.Equal("2026-W02", row!["period"]!.GetValue<string>());
        Assert.Equal("Acme", row.CompetitorName());
    }

    [Fact]
    public async Task Csv_is_for_marketing_analysts_and_admins_and_reps_get_403()
    {
        var set = await TrendDataSet.For(app);
        var csv = await app.Client(set.MarketingKey).GetAsync("/api/v1/trends/competitors?granularity=month&format=csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("period,competitorId,competitor,matched,deals,won,lost,noDecision,winRate,winRateN,winRateLow,winRateHigh,winRateLowSample,noDecisionRate,noDecisionRateLow,noDecisionRateHigh,revenueWon,revenueLost", lines[0]);
        Assert.Contains($"2026-01,{set.AcmeId},Acme,true,2,1,1,0,0.5,2,0.0945,0.9055,true,0,0,0.6576,USD 1000.00,USD 2000.00", lines);
        Assert.Contains(lines, l => l.StartsWith("all,,,,4,1,2,1,", StringComparison.Ordinal)); // overall row of "none named"

        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(set.RepKey).GetAsync("/api/v1/trends/competitors?format=csv")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client(set.RepKey).GetAsync("/api/v1/trends/competitors")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(null).GetAsync("/api/v1/trends/competitors")).StatusCode);
    }

    [Theory]
    [InlineData("granularity=day", "granularity")]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("from=2026-03-01&to=2026-02-01", "to")]
    [InlineData("minSample=abc", "minSample")]
    [InlineData("minSample=0", "minSample")]
    [InlineData("segment=huge", "segment")]
    [InlineData("stage=lunch", "stage")]
    [InlineData("primaryOnly=maybe", "primaryOnly")]
    [InlineData("format=xml", "format")]
    public async Task Bad_parameters_are_400_naming_the_parameter(string query, string field)
    {
        var response = await app.Admin().GetAsync("/api/v1/trends/competitors?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadJson();
        Assert.NotNull(problem["errors"]![field]);
    }
}
