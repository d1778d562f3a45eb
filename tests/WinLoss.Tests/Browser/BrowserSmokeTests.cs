using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Browser;

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
}
