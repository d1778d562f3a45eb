using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Alerts;

/// <summary>
/// GET /api/v1/trends/alerts end to end over reports filed through the API. Each scenario lives in its own segment, so
/// one database serves all three: enterprise (false-discovery control), smb (a falling win rate), validation.
/// </summary>
public sealed class TrendAlertsTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly SemaphoreSlim Seeded = new(1, 1);
    private static readonly HashSet<string> Done = [];

    private static readonly string[] Flat = ["missing_feature", "integration", "security", "performance", "ease_of_use", "implementation_time", "vendor_size", "references", "contract_terms"];

    private async Task SeedAsync(string name, Func<HttpClient, Task> seed)
    {
        await Seeded.WaitAsync();
        try
        {
            if (Done.Add(app.Db + name)) await seed(app.Admin());
        }
        finally { Seeded.Release(); }
    }

    private static async Task File(HttpClient admin, string dealId, string closedOn, string segment, string outcome, string[] competitors, IEnumerable<string> objections,
        string? region = null)
    {
        var body = Http.Report(dealId, r =>
        {
            r["closedOn"] = closedOn;
            r["segment"] = segment;
            if (region is not null) r["region"] = region;
            r["outcome"] = outcome;
            r["competitors"] = new JsonArray(competitors.Select(c => (JsonNode)new JsonObject { ["name"] = c }).ToArray());
            r["objections"] = new JsonArray(objections.Select(o => (JsonNode)new JsonObject { ["category"] = o, ["overcome"] = false }).ToArray());
        });
        var response = await admin.PostReport(body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// February and March, 100 won deals each, no competitors. "price": 10 → 19 deals; nine other categories 20 → 20.
    /// </summary>
    private Task EnterpriseAsync() => SeedAsync("enterprise", async admin =>
    {
        foreach (var (month, price) in new[] { ("2026-02", 10), ("2026-03", 19) })
            for (var i = 0; i < 100; i++)
                await File(admin, $"ENT-{month}-{i}", $"{month}-{1 + i % 28:00}", "enterprise", "won", [],
                    (i < price ? ["price"] : Array.Empty<string>()).Concat(i < 20 ? Flat : []));
    });

    [Fact]
    public async Task A_lone_marginal_rise_among_ten_tests_is_not_an_alert_unless_fdr_is_loosened()
    {
        await EnterpriseAsync();
        var admin = app.Admin();
        var body = JsonNode.Parse(await admin.GetStringAsync("/api/v1/trends/alerts?granularity=month&to=2026-03-31&segment=enterprise"))!;
        // price: 10/100 → 19/100: z = 0.09/√(0.145·0.855·0.02) = 1.8074, one-sided p ≈ 0.0354 — the old raw rule (z ≥ 1.645) flagged it.
        // Ten tests (price + nine flat at p = 0.5): q(price) = min(0.0354·10/1, 0.5·10/10) = 0.354 > 0.10: no alert.
        Assert.Empty(body["alerts"]!.AsArray());
        Assert.Equal(10, body["tested"]!.GetValue<int>());
        Assert.Equal(0.10, body["fdr"]!.GetValue<double>(), 1e-12);
        Assert.Contains("Benjamini–Hochberg", body["falseDiscoveryControl"]!.GetValue<string>());

        // At fdr = 0.5 the same rise is an alert, with the evidence behind it.
        var loose = JsonNode.Parse(await admin.GetStringAsync("/api/v1/trends/alerts?granularity=month&to=2026-03-31&segment=enterprise&fdr=0.5"))!;
        var alert = Assert.Single(loose["alerts"]!.AsArray())!;
        Assert.Equal(("objection", "price"), (alert["kind"]!.GetValue<string>(), alert["category"]!.GetValue<string>()));
        Assert.Equal(1.8074, alert["z"]!.GetValue<double>(), 0.0005);
        Assert.Equal(0.0354, alert["p"]!.GetValue<double>(), 0.0002);
        Assert.Equal(0.354, alert["q"]!.GetValue<double>(), 0.002);
        var counts = alert["counts"]!;
        Assert.Equal((10L, 100L, 19L, 100L), (counts["before"]!.GetValue<long>(), counts["ofBefore"]!.GetValue<long>(), counts["now"]!.GetValue<long>(), counts["ofNow"]!.GetValue<long>()));
        Assert.Equal("More deals raise the \"price\" objection: 19% in 2026-03 (19 of 100) against 10% in 2026-02 (10 of 100).", alert["summary"]!.GetValue<string>());
    }

    /// <summary>
    /// Zeta: 100 decided deals in 2025 (40 won), then 30 losses in a row from 2026-02-01. Eta: 10 deals in March 2026, 5 won.
    /// </summary>
    private Task SmbAsync() => SeedAsync("smb", async admin =>
    {
        for (var i = 0; i < 100; i++)
            await File(admin, $"Z-B-{i:000}", new DateOnly(2025, 1, 1).AddDays(i * 3).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "smb",
                i % 5 < 2 ? "won" : "lost", ["Zeta"], []);
        for (var i = 0; i < 30; i++)
            await File(admin, $"Z-M-{i:00}", new DateOnly(2026, 2, 1).AddDays(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "smb", "lost", ["Zeta"], []);
        for (var i = 0; i < 10; i++)
            await File(admin, $"E-{i}", $"2026-03-{10 + i}", "smb", i < 5 ? "won" : "lost", ["Eta"], []);
    });

    [Fact]
    public async Task A_run_of_losses_against_a_40_percent_competitor_raises_win_rate_falling()
    {
        await SmbAsync();
        var body = JsonNode.Parse(await app.Admin().GetStringAsync("/api/v1/trends/alerts?granularity=month&to=2026-03-31&segment=smb"))!;
        var alert = Assert.Single(body["alerts"]!.AsArray(), a => a!["kind"]!.GetValue<string>() == "win_rate_falling")!;
        Assert.Equal("Zeta", alert["competitor"]!["name"]!.GetValue<string>());
        var cusum = alert["cusum"]!;
        Assert.Equal(0.40, cusum["p0"]!.GetValue<double>(), 1e-9);
        Assert.Equal(100, cusum["baselineDeals"]!.GetValue<int>());
        Assert.Equal(0.30, cusum["p1"]!.GetValue<double>(), 1e-9);
        // Each loss adds ln(0.7/0.6) = 0.154151 to S: it reaches h after ceil(h / 0.154151) losses.
        var h = cusum["h"]!.GetValue<double>();
        var losses = (int)Math.Ceiling(h / 0.154151);
        Assert.Equal("Z-M-00", cusum["runStart"]!["dealId"]!.GetValue<string>());
        Assert.Equal("2026-02-01", cusum["runStart"]!["closedOn"]!.GetValue<string>());
        Assert.Equal($"Z-M-{losses - 1:00}", cusum["firedAt"]!["dealId"]!.GetValue<string>());
        Assert.Equal((30, 0), (cusum["dealsSince"]!.GetValue<int>(), cusum["wonSince"]!.GetValue<int>()));
        Assert.Equal(0.0, alert["current"]!["value"]!.GetValue<double>());
        Assert.Equal(0.4, alert["previous"]!["value"]!.GetValue<double>());
        Assert.Null(alert["q"]);
        Assert.StartsWith("Win rate against Zeta is falling: 0 won of 30 decided deals since Z-M-00 (closed 2026-02-01), against 40% over the 100", alert["summary"]!.GetValue<string>());

        // Win rate this period, shrunk (March: Zeta 0 of 2, Eta 5 of 10). Prior by moments: μ = 5/12 = 0.416667; rates 0 and 0.5,
        // s² = 0.125; ρ = (0.125/0.243056 − 0.3)/0.7 = 0.306122; α+β = 1/ρ − 1 = 2.266667 → α = 0.944444.
        // Zeta: (0.944444 + 0)/(2.266667 + 2) = 0.2214 — not the raw 0%.
        var winRate = alert["winRate"]!;
        Assert.Equal(0.0, winRate["raw"]!.GetValue<double>());
        Assert.Equal(2, winRate["decided"]!.GetValue<long>());
        Assert.Equal(0.2214, winRate["shrunk"]!.GetValue<double>(), 0.0001);
        Assert.Equal(0.4167, winRate["priorMean"]!.GetValue<double>(), 0.0001);
        var interval = winRate["interval"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        Assert.True(interval[0] < 0.2214 && 0.2214 < interval[1]);
    }

    /// <summary>
    /// Mid-market. Theta (region Nordics): 50 won deals in August 2025, then 200 decided deals from September 2025 to January
    /// 2026 (40% won), then 30 losses from 2026-02-01. Iota (region Iberia): 40 decided deals in 2024 (half won), none in the
    /// year before February 2026, then 30 losses from 2026-02-01.
    /// </summary>
    private Task MidMarketAsync() => SeedAsync("mid_market", async admin =>
    {
        static string Day(DateOnly start, int days) => start.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var filings = new List<(string DealId, string ClosedOn, string Outcome, string Competitor, string Region)>();
        for (var i = 0; i < 50; i++) filings.Add(($"T-O-{i:000}", $"2025-08-{1 + i % 28:00}", "won", "Theta", "Nordics"));
        for (var i = 0; i < 200; i++) filings.Add(($"T-B-{i:000}", Day(new DateOnly(2025, 9, 1), i * 150 / 200), i % 5 < 2 ? "won" : "lost", "Theta", "Nordics"));
        for (var i = 0; i < 40; i++) filings.Add(($"I-B-{i:00}", Day(new DateOnly(2024, 1, 1), i * 3), i % 2 == 0 ? "won" : "lost", "Iota", "Iberia"));
        for (var i = 0; i < 30; i++)
        {
            filings.Add(($"T-M-{i:00}", Day(new DateOnly(2026, 2, 1), i), "lost", "Theta", "Nordics"));
            filings.Add(($"I-M-{i:00}", Day(new DateOnly(2026, 2, 1), i), "lost", "Iota", "Iberia"));
        }
        // Filed concurrently (the order of ids within a day does not change which deals are a competitor's last 200).
        await Parallel.ForEachAsync(filings, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (x, _) => await File(admin, x.DealId, x.ClosedOn, "mid_market", x.Outcome, [x.Competitor], [], x.Region));
    });

    [Fact]
    public async Task The_baseline_is_the_last_200_decided_deals_before_the_previous_period_however_far_back_they_go()
    {
        await MidMarketAsync();
        static JsonNode Cusum(JsonNode body, string name) => Assert.Single(body["alerts"]!.AsArray(),
            a => a!["kind"]!.GetValue<string>() == "win_rate_falling" && a["competitor"]!["name"]!.GetValue<string>() == name)!["cusum"]!;

        // Theta alone: its last 200 deals before February fall in September–January; August's 50 wins are not in them
        // (with them p0 would be 130/250 = 0.52).
        var nordics = JsonNode.Parse(await app.Admin().GetStringAsync("/api/v1/trends/alerts?granularity=month&to=2026-03-31&segment=mid_market&region=Nordics"))!;
        var theta = Cusum(nordics, "Theta");
        Assert.Equal((200, 0.40), (theta["baselineDeals"]!.GetValue<int>(), theta["p0"]!.GetValue<double>()));
        Assert.Equal("T-M-00", theta["runStart"]!["dealId"]!.GetValue<string>());

        // With Iota, whose 40 deals are two years back, the same baseline for Theta, and Iota's from 2024.
        var both = JsonNode.Parse(await app.Admin().GetStringAsync("/api/v1/trends/alerts?granularity=month&to=2026-03-31&segment=mid_market"))!;
        Assert.Equal(theta.ToJsonString(), Cusum(both, "Theta").ToJsonString());
        var iota = Cusum(both, "Iota");
        Assert.Equal((40, 0.5), (iota["baselineDeals"]!.GetValue<int>(), iota["p0"]!.GetValue<double>()));
        Assert.Equal("I-M-00", iota["runStart"]!["dealId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Competitor_win_rates_carry_their_shrunk_estimate()
    {
        await SmbAsync();
        var body = JsonNode.Parse(await app.Admin().GetStringAsync("/api/v1/trends/competitors?granularity=month&from=2026-03-01&to=2026-03-31&segment=smb"))!;
        JsonNode Row(string name) => body["rows"]!.AsArray().Single(r => r!["competitor"]?["name"]?.GetValue<string>() == name)!;
        // Same hand computation as above: Zeta 0 of 2 → 0.2214; Eta 5 of 10 → (0.944444 + 5)/(2.266667 + 10) = 0.4846.
        Assert.Equal(0.0, Row("Zeta")["winRate"]!["value"]!.GetValue<double>());
        Assert.Equal(0.2214, Row("Zeta")["winRateShrunk"]!["shrunk"]!.GetValue<double>(), 0.0001);
        Assert.Equal(0.4846, Row("Eta")["winRateShrunk"]!["shrunk"]!.GetValue<double>(), 0.0001);
        var overallZeta = body["overall"]!.AsArray().Single(r => r!["competitor"]?["name"]?.GetValue<string>() == "Zeta")!;
        Assert.Equal(0.2214, overallZeta["winRateShrunk"]!["shrunk"]!.GetValue<double>(), 0.0001);
    }

    [Fact]
    public async Task Csv_carries_p_q_counts_and_the_sentence()
    {
        await EnterpriseAsync();
        var csv = await app.Admin().GetStringAsync("/api/v1/trends/alerts?granularity=month&to=2026-03-31&segment=enterprise&fdr=0.5&format=csv");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.EndsWith("p,q,countBefore,ofBefore,countNow,ofNow,winRateShrunk,winRateLow,winRateHigh,summary", lines[0]);
        Assert.Contains(",10,100,19,100,", lines[1]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.9")]
    [InlineData("abc")]
    [InlineData("-0.1")]
    [InlineData("1e-2")]
    public async Task A_bad_fdr_is_a_400_naming_it(string fdr)
    {
        var response = await app.Admin().GetAsync($"/api/v1/trends/alerts?fdr={fdr}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadJson())["errors"]!["fdr"]);
    }
}
