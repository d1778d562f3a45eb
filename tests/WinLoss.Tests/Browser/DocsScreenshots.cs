using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Browser;

/// <summary>
/// Not a test: the screenshots in docs/images (scripts/screenshots.sh runs this; scripts/test.sh skips the trait).
/// Starts the real service, files the demo data set (scripts/demo_data.py, fixed seed), and captures both pages at
/// 390×844 (phone) and 1440×900 (laptop) into $WINLOSS_SCREENSHOTS (default tests/TestResults/screenshots/docs).
/// </summary>
[Trait("Tier", "Screenshots")]
public sealed class DocsScreenshots
{
    [Fact]
    public async Task Capture_both_pages_at_phone_and_laptop_sizes()
    {
        var output = Environment.GetEnvironmentVariable("WINLOSS_SCREENSHOTS") is { Length: > 0 } dir
            ? Path.GetFullPath(dir, Repo.Root) : Path.Combine(BrowserFixture.ScreenshotDirectory, "docs");
        Directory.CreateDirectory(output);
        var browser = new BrowserFixture();
        await browser.InitializeAsync();
        try
        {
            var reports = Environment.GetEnvironmentVariable("DEMO_REPORTS") ?? "1500";
            await RunAsync("python3", Path.Combine(Repo.Root, "scripts", "demo_data.py"), browser.Service.BaseUrl, TestApp.AdminKey,
                browser.Service.DbPath, "--reports", reports, "--end", "2026-11-27");

            using var admin = browser.Service.Client();
            var created = await admin.PostAsync("/api/v1/users", Http.Json(new { email = "dana.reyes@example.com", displayName = "Dana Reyes", role = "rep", region = "EMEA" }));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var rep = (string)(await created.ReadJson())["key"]!["key"]!;
            using var dana = browser.Service.Client(rep);
            foreach (var (deal, outcome, competitor) in new[] { ("OPP-2207", "won", "HubSpot"), ("OPP-2231", "lost", "Salesforce"), ("OPP-2240", "no_decision", "Pipedrive") })
            {
                var body = Http.Report(deal, r =>
                {
                    r["outcome"] = outcome;
                    r["closedOn"] = "2026-11-2" + deal[^1];
                    r["competitors"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["name"] = competitor, ["primary"] = true });
                    if (outcome == "won") r["reasons"] = new System.Text.Json.Nodes.JsonArray();
                    r["objections"] = new System.Text.Json.Nodes.JsonArray();
                });
                Assert.Equal(HttpStatusCode.Created, (await dana.PostReport(body)).StatusCode);
            }

            foreach (var (name, width, height) in new[] { ("390", 390, 844), ("1440", 1440, 900) })
            {
                await ShotAsync(browser, TestApp.AdminKey, "/app/trends?view=overview&from=2025-12-01&to=2026-11-30", width, height, Path.Combine(output, $"dashboard-{name}.png"), dashboard: true);
                await ShotAsync(browser, rep, "/app/report", width, height, Path.Combine(output, $"report-{name}.png"), dashboard: false);
            }
        }
        finally
        {
            await browser.DisposeAsync();
        }
    }

    private static async Task ShotAsync(BrowserFixture browser, string key, string url, int width, int height, string path, bool dashboard)
    {
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height }, BaseURL = browser.Service.BaseUrl,
            IsMobile = width < 600, HasTouch = width < 600, DeviceScaleFactor = 1,
        });
        await context.AddInitScriptAsync($"localStorage.setItem('winloss.apiKey', {JsonSerializer.Serialize(key)});");
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        if (dashboard) await page.WaitForFunctionAsync("() => document.querySelector('#view').dataset.ready === 'true'", null, new() { Timeout = 30000 });
        else
        {
            // A lost deal half filed in: outcome, deal id, a competitor from the autocomplete, a reason.
            await page.Locator("#recent-list li").First.WaitForAsync(new() { Timeout = 30000 });
            await page.ClickAsync("label[for=outcome-lost]");
            await page.FillAsync("#dealId", "OPP-2252");
            await page.Locator("#competitor-input").PressSequentiallyAsync("sfdc");
            await page.Locator("#competitor-list [role=option]", new() { HasText = "Salesforce" }).ClickAsync();
            await page.ClickAsync("label[for=reason-price]");
            await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        }
        await page.WaitForTimeoutAsync(300);
        await page.ScreenshotAsync(new() { Path = path });
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} failed: {await stdout}\n{await stderr}");
    }
}
