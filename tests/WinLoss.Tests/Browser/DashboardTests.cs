using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Browser;

/// <summary>The real service with <see cref="DashboardSeed"/> filed through its API, and headless Chromium.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public BrowserFixture Browser { get; } = new();
    public long AcmeId { get; private set; }
    public long GlobexId { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await Browser.InitializeAsync();
        using var admin = Browser.Service.Client();
        AcmeId = await CreateCompetitorAsync(admin, "Acme");
        GlobexId = await CreateCompetitorAsync(admin, "Globex");
        await DashboardSeed.FileAsync(admin);
    }

    private static async Task<long> CreateCompetitorAsync(HttpClient admin, string name)
    {
        var response = await admin.PostAsync("/api/v1/competitors", Http.Json(new { name }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJson())["id"]!.GetValue<long>();
    }

    public async ValueTask DisposeAsync() => await Browser.DisposeAsync();
}

[Trait("Tier", "Browser")]
public sealed partial class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private const string Range = $"from={DashboardSeed.From}&to={DashboardSeed.To}&granularity=month";
    private BrowserFixture B => fixture.Browser;

    private async Task<(IBrowserContext Context, IPage Page)> SignedInAsync(string key = TestApp.AdminKey)
    {
        var context = await B.LaptopAsync();
        await context.AddInitScriptAsync($"localStorage.setItem('winloss.apiKey', '{key}');");
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") Console.WriteLine("browser console: " + m.Text); };
        return (context, page);
    }

    private static async Task ReadyAsync(IPage page)
    {
        await page.WaitForSelectorAsync("#view[data-ready]", new() { Timeout = 15000, State = WaitForSelectorState.Attached });
        Assert.Equal("true", await page.GetAttributeAsync("#view", "data-ready"));
    }

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name), FullPage = true });

    private async Task<JsonNode> ApiAsync(string pathAndQuery)
    {
        using var client = B.Service.Client();
        var response = await client.GetAsync(pathAndQuery);
        Assert.True(response.StatusCode == HttpStatusCode.OK, pathAndQuery + ": " + await response.Content.ReadAsStringAsync());
        return await response.ReadJson();
    }

    private static string Pct(double value) => (value * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";

    private static JsonNode Row(JsonNode json, string array, Func<JsonNode, bool> match) =>
        json[array]!.AsArray().Single(r => match(r!))!;

    private static string? CompetitorOf(JsonNode row) => row["competitor"]?["name"]?.GetValue<string>();

    /// <summary>"40.5% 26.4%–56.5% low sample" → (40.5, 26.4, 56.5, true).</summary>

    private static (double Rate, double Low, double High, bool LowSample) RateCell(string text)
    {
        var m = System.Text.RegularExpressions.Regex.Match(text, @"^([\d.]+)% ([\d.]+)%–([\d.]+)%( low sample)?$");
        Assert.True(m.Success, "not a rate cell: " + text);
        double D(int g) => double.Parse(m.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture);
        return (D(1), D(2), D(3), m.Groups[4].Success);
    }

    /// <summary>A percentage on screen (one decimal) against a hand-computed one: equal to within the display rounding.</summary>

    private static void Near(double expectedPercent, double shown) =>
        Assert.True(Math.Abs(expectedPercent - shown) <= 0.06, $"expected {expectedPercent:0.00}%, shown {shown}%");

    private static void AcmeBothMonths(string cell)
    {
        // 15 won of 37 decided = 40.54%, Wilson 95% [26.35%, 56.51%] (computed by hand).
        var (rate, low, high, lowSample) = RateCell(cell);
        Near(40.54, rate); Near(26.35, low); Near(56.51, high);
        Assert.False(lowSample);
    }

    private static async Task<string> CellAsync(IPage page, string rowSelector, string column) =>
        (await page.InnerTextAsync($"{rowSelector} [data-col='{column}']")).Trim();

    private static Task<JsonElement> ChartDataAsync(IPage page, string chart) =>
        page.EvaluateAsync<JsonElement>(
            "name => { const c = Chart.getChart(document.querySelector(`canvas[data-chart=\"${name}\"]`)); " +
            "return { labels: c.data.labels, datasets: c.data.datasets.map(d => ({ label: d.label, data: d.data, pointStyle: d.pointStyle ?? null })) }; }",
            chart);

    private static async Task WaitForAsync(IPage page, string urlCondition) =>
        await page.WaitForFunctionAsync(
            $"() => document.querySelector('#view').dataset.ready === 'true' && ({urlCondition})", null, new() { Timeout = 15000 });

    private async Task<string> UserKeyAsync(string role)
    {
        using var client = B.Service.Client();
        var response = await client.PostAsync("/api/v1/users", Http.Json(new { email = $"{role}-{Guid.NewGuid():N}@example.com", displayName = $"Dash {role}", role }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJson())["key"]!["key"]!.GetValue<string>();
    }

    private static void AssertNoSeriousViolations(Deque.AxeCore.Commons.AxeResult result, string state)
    {
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"axe-core ({state}): " + string.Join("; ", serious.Select(v =>
            $"{v.Id} [{v.Impact}] {v.Help}: {string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))}")));
    }

    [Fact]
    public async Task The_page_is_served_at_app_trends_with_or_without_slash_and_signs_in_with_a_pasted_key()
    {
        using (var http = B.Service.Client(null))
        {
            foreach (var path in new[] { "/app/trends", "/app/trends/" })
            {
                var response = await http.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
                var html = await response.Content.ReadAsStringAsync();
                Assert.Contains("/app/vendor/chart.umd.min.js", html);
                // Ready for a Content-Security-Policy of 'self': no inline script or style.
                Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", html);
                Assert.DoesNotContain("style=", html);
                Assert.DoesNotContain("<style", html);
            }
            var chart = await http.GetAsync("/app/vendor/chart.umd.min.js");
            Assert.Equal(HttpStatusCode.OK, chart.StatusCode);
            Assert.Contains("Chart.js v4", await chart.Content.ReadAsStringAsync());
        }

        await using var context = await B.LaptopAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/app/trends");
        await page.GetByLabel("API key").FillAsync("wl_not_a_real_key_000000000000000000000000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForSelectorAsync("#signin-error:has-text('not accepted')");
        await ShotAsync(page, "dashboard-signin.png");

        await page.GetByLabel("API key").FillAsync(TestApp.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForSelectorAsync("#view[data-ready]", new() { State = WaitForSelectorState.Attached });
        Assert.True(await page.IsVisibleAsync("#filters"));
        Assert.False(await page.IsVisibleAsync("#signin"));
        Assert.Equal(TestApp.AdminKey, await page.EvaluateAsync<string>("localStorage.getItem('winloss.apiKey')"));
    }

    [Fact]
    public async Task Marketing_does_not_see_triage_but_an_analyst_maps_an_unmatched_name_from_the_page()
    {
        var (mContext, marketing) = await SignedInAsync(await UserKeyAsync("marketing"));
        await using (mContext)
        {
            await marketing.GotoAsync("/app/trends?view=triage");
            await ReadyAsync(marketing);
            Assert.Contains("marketing", await marketing.InnerTextAsync("#who-name"));
            Assert.False(await marketing.IsVisibleAsync("#nav-triage"));
            Assert.Equal(0, await marketing.Locator("form.triage-row").CountAsync());
            Assert.Contains("Only analysts and admins", await marketing.InnerTextAsync("#view"));
        }

        var (context, page) = await SignedInAsync(await UserKeyAsync("analyst"));
        await using var _ = context;
        await page.GotoAsync("/app/trends?view=triage");
        await ReadyAsync(page);
        Assert.True(await page.IsVisibleAsync("#nav-triage"));
        Assert.Equal("page", await page.GetAttributeAsync("#nav-triage", "aria-current"));
        var row = page.Locator($"form.triage-row[data-name='{DashboardSeed.UnmatchedName}']");
        Assert.Contains("1 report", await row.InnerTextAsync());
        // The best suggestion is preselected: Globex.
        Assert.Equal(fixture.GlobexId.ToString(System.Globalization.CultureInfo.InvariantCulture), await row.Locator("select").InputValueAsync());
        await ShotAsync(page, "dashboard-triage.png");

        await row.GetByRole(AriaRole.Button, new() { Name = "Map" }).ClickAsync();
        await row.Locator(".map-result:has-text('Mapped to Globex')").WaitForAsync();

        var unmatched = await ApiAsync("/api/v1/competitors/unmatched");
        Assert.DoesNotContain(unmatched["items"]!.AsArray(), u => u!["name"]!.GetValue<string>() == DashboardSeed.UnmatchedName);
        var globex = await ApiAsync($"/api/v1/competitors/{fixture.GlobexId}");
        Assert.Contains(DashboardSeed.UnmatchedName, globex["aliases"]!.AsArray().Select(a => a!.GetValue<string>()));
    }
}
