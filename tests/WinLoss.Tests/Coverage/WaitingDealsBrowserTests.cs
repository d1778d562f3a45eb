using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Coverage;

/// <summary>
/// The rep form's "Deals waiting for your report" in headless Chromium on a phone against the real service: the rep
/// sees the closed deals the CRM pushed, opens one prefilled, files it offline, and it leaves the list once the
/// report has reached the server.
/// </summary>
[Trait("Tier", "Browser")]
public sealed class WaitingDealsBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    static WaitingDealsBrowserTests() => Assertions.SetDefaultExpectTimeout(20_000); // 2 shared cores

    [Fact]
    public async Task A_rep_opens_a_waiting_deal_prefilled_files_it_offline_and_it_leaves_the_list_when_it_reaches_the_server()
    {
        using var admin = browser.Service.Client();
        var email = $"rep-{Guid.NewGuid():N}@example.com";
        var created = await admin.PostAsync("/api/v1/users", Http.Json(new { email, displayName = "Wanda Waiting", role = "rep" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (string)(await created.ReadJson())["key"]!["key"]!;
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        string lost = $"CRM-L-{suffix}", won = $"CRM-W-{suffix}";
        var closedOn = DateTime.UtcNow.AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var pushed = await admin.PostAsync("/api/v1/deals/closed/batch", Http.Json(new
        {
            deals = new object[]
            {
                new { dealId = lost, outcome = "lost", closedOn, rep = email, amount = 48000, currency = "EUR", account = "Globex", competitor = "Acme Corp" },
                new { dealId = won, outcome = "won", closedOn, rep = email },
            },
        }));
        Assert.Equal(2, (await pushed.ReadJson())["created"]!.GetValue<int>());

        await using var context = await browser.PhoneAsync();
        await context.AddInitScriptAsync($"if (!localStorage.getItem('winloss.apiKey')) localStorage.setItem('winloss.apiKey', {JsonSerializer.Serialize(key)});");
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync("/app/report");
        await page.WaitForSelectorAsync("html[data-ready=true]");

        var waiting = page.Locator("#waiting");
        await Assertions.Expect(waiting.Locator("h2")).ToHaveTextAsync("Deals waiting for your report (2)");
        await Assertions.Expect(waiting.Locator($"[data-deal='{lost}']")).ToContainTextAsync("Globex");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "report-waiting-deals.png") });

        // One tap opens the form with what the CRM knows.
        await waiting.Locator($"[data-open='{lost}']").TapAsync();
        await Assertions.Expect(page.Locator("#dealId")).ToHaveValueAsync(lost);
        await Assertions.Expect(page.Locator("#outcome-lost")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#closedOn")).ToHaveValueAsync(closedOn);
        await Assertions.Expect(page.Locator("#competitor-chosen")).ToContainTextAsync("Acme Corp");
        await Assertions.Expect(page.Locator("#accountName")).ToHaveValueAsync("Globex");

        // Filed offline: queued on the phone, still waiting on the server, marked queued in the list.
        await context.SetOfflineAsync(true);
        await page.TapAsync("label[for=reason-price]");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("1 queued");
        await Assertions.Expect(waiting.Locator($"[data-deal='{lost}'][data-queued=true]")).ToBeVisibleAsync();
        using var rep = browser.Service.Client(key);
        Assert.Equal(2, (await (await rep.GetAsync("/api/v1/deals/waiting")).ReadJson())["total"]!.GetValue<long>());

        // Back online: the outbox delivers it and the deal leaves the list.
        await context.SetOfflineAsync(false);
        await Assertions.Expect(page.Locator("#queue-badge")).ToBeHiddenAsync();
        await Assertions.Expect(waiting.Locator($"[data-deal='{lost}']")).ToHaveCountAsync(0);
        await Assertions.Expect(waiting.Locator("h2")).ToHaveTextAsync("Deals waiting for your report (1)");
        var left = await (await rep.GetAsync("/api/v1/deals/waiting")).ReadJson();
        Assert.Equal(won, Assert.Single(left["deals"]!.AsArray())!["dealId"]!.GetValue<string>());
        var closed = await (await admin.GetAsync($"/api/v1/deals/closed/{lost}")).ReadJson();
        Assert.Equal("reported", closed["status"]!.GetValue<string>());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_dashboards_coverage_view_shows_the_bias_warning_and_data_quality_to_an_analyst()
    {
        using var admin = browser.Service.Client();
        var email = $"rep-{Guid.NewGuid():N}@example.com";
        var created = await admin.PostAsync("/api/v1/users", Http.Json(new { email, displayName = "Skippy Losses", role = "rep", team = "North" }));
        var key = (string)(await created.ReadJson())["key"]!["key"]!;
        var closedOn = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var deals = Enumerable.Range(0, 12).SelectMany(i => new object[]
        {
            new { dealId = $"DW-{i}-{email[4..10]}", outcome = "won", closedOn, rep = email },
            new { dealId = $"DL-{i}-{email[4..10]}", outcome = "lost", closedOn, rep = email },
        }).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/deals/closed/batch", Http.Json(new { deals }))).StatusCode);
        using var rep = browser.Service.Client(key);
        for (var i = 0; i < 12; i++)
            Assert.Equal(HttpStatusCode.Created, (await rep.PostReport(Http.Report($"DW-{i}-{email[4..10]}", r => { r["outcome"] = "won"; r["closedOn"] = closedOn; r.Remove("reasons"); }))).StatusCode);

        await using var context = await browser.LaptopAsync();
        await context.AddInitScriptAsync($"localStorage.setItem('winloss.apiKey', {JsonSerializer.Serialize(TestApp.AdminKey)});");
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync("/app/trends?view=coverage");
        await page.WaitForSelectorAsync("#view[data-ready]", new() { Timeout = 20000, State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator(".coverage-warnings")).ToContainTextAsync("Skippy Losses: 100% of won deals reported but 0% of lost deals");
        await Assertions.Expect(page.Locator("#p-data-quality-per-rep")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "dashboard-coverage.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
