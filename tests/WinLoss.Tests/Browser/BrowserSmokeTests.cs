using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Browser;

[Trait("Tier", "Browser")]
public sealed class BrowserSmokeTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Headless_chromium_loads_the_swagger_ui_of_the_real_service()
    {
        await using var context = await browser.LaptopAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync("/swagger/index.html");
        Assert.Equal(200, response!.Status);
        await page.WaitForSelectorAsync("text=WinLoss API");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "swagger.png") });
    }

    [Fact]
    public async Task Swagger_try_it_out_calls_the_origin_the_page_was_opened_at_not_localhost_5080()
    {
        Assert.DoesNotContain(":5080", browser.Service.BaseUrl); // a random port on 127.0.0.1
        await using var context = await browser.LaptopAsync();
        var page = await context.NewPageAsync();
        var blocked = new List<string>();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal)) blocked.Add(m.Text); };
        await page.GotoAsync("/swagger/index.html");
        await page.ClickAsync("#operations-Health-Live .opblock-summary-control");
        await page.ClickAsync("#operations-Health-Live button.try-out__btn");
        await page.ClickAsync("#operations-Health-Live button.execute");
        var status = page.Locator("#operations-Health-Live .live-responses-table tbody .response-col_status").First;
        await status.WaitForAsync();
        Assert.Equal("200", (await status.InnerTextAsync()).Trim());
        Assert.Contains(browser.Service.BaseUrl + "/health/live", await page.Locator("#operations-Health-Live .request-url pre").InnerTextAsync());
        Assert.Empty(blocked);
    }
}
