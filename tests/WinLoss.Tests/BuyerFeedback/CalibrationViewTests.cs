using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>The dashboard's "Rep vs buyer" view on a laptop: the statement, the calibrated shares and the agreement tables.</summary>
[Trait("Tier", "Browser")]
public sealed class CalibrationViewTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(browser.Service.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task Marketing_sees_rep_and_calibrated_shares_with_the_paired_deal_count_and_the_agreement_tables()
    {
        var admin = Client(TestApp.AdminKey);
        var region = "CV" + Guid.NewGuid().ToString("N")[..6];
        var created = await (await admin.PostAsync("/api/v1/users", Http.Json(new { email = $"{region}@example.com", displayName = "Casey Rep", role = "rep", team = "North" }))).ReadJson();
        var rep = Client(created["key"]!["key"]!.GetValue<string>());
        var marketing = (await (await admin.PostAsync("/api/v1/users", Http.Json(new { email = $"m-{region}@example.com", displayName = "Morgan", role = "marketing" }))).ReadJson())["key"]!["key"]!.GetValue<string>();
        // Rep says price on three deals, product gap on one; buyers: price, product gap, product gap on the first three.
        string[] repSays = ["price", "price", "price", "product_gap"];
        string?[] buyerSays = ["price", "product_gap", "product_gap", null];
        for (var i = 0; i < repSays.Length; i++)
        {
            var deal = $"{region}-{i}";
            var report = Http.Report(deal, b => { b["region"] = region; b["closedOn"] = "2026-10-01"; b["reasons"] = new JsonArray(new JsonObject { ["category"] = repSays[i], ["primary"] = true }); });
            Assert.Equal(HttpStatusCode.Created, (await rep.PostReport(report)).StatusCode);
            if (buyerSays[i] is { } buyer)
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"/api/v1/deals/{deal}/buyer-feedback",
                    Http.Json(BuyerFeedbackApp.Interview(b => b["reasons"] = new JsonArray(new JsonObject { ["category"] = buyer })).ToJsonString()))).StatusCode);
        }

        await using var context = await browser.LaptopAsync();
        await context.AddInitScriptAsync($"localStorage.setItem('winloss.apiKey', '{marketing}');");
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/app/trends?view=calibration&from=2026-01-01&region={region}");
        await page.WaitForSelectorAsync("#view[data-ready]", new() { Timeout = 15000, State = WaitForSelectorState.Attached });
        Assert.Equal("true", await page.GetAttributeAsync("#view", "data-ready"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "dashboard-rep-vs-buyer.png"), FullPage = true });

        var text = await page.InnerTextAsync("#view");
        Assert.Contains("rest on 3 paired lost deals", text);
        Assert.Contains("out of 4 lost deals", text);
        // Calibrated price: q(price) = 3/4, P(buyer price | rep price) = 1/3 → 25.0%; reps reported 75.0%.
        var price = page.Locator("tr", new() { Has = page.Locator("th", new() { HasTextString = "Price" }) }).First;
        Assert.Contains("75.0%", await price.Locator("[data-col=repShare]").InnerTextAsync());
        Assert.StartsWith("25.0%", (await price.Locator("[data-col=calibratedShare]").InnerTextAsync()).Trim());
        Assert.Contains("Casey Rep", text);
        Assert.Contains("North", text);
        Assert.Contains("Cohen's kappa", text);

        var serious = (await page.RunAxe()).Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, string.Join("; ", serious.Select(v => $"{v.Id}: {v.Help}")));
    }
}
