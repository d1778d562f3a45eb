using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using WinLoss.Api.Features.Competitors;
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
        using (var db = new SqliteConnection($"Data Source={Browser.Service.DbPath}"))
        {
            db.Open();
            AcmeId = CreateCompetitor(db, "Acme");
            GlobexId = CreateCompetitor(db, "Globex");
        }
        using var admin = Browser.Service.Client();
        await DashboardSeed.FileAsync(admin);
    }

    private static long CreateCompetitor(SqliteConnection db, string name)
    {
        var id = db.ExecuteScalar<long>("INSERT INTO competitors (name, created_at) VALUES (@name, '2026-01-01T00:00:00Z') RETURNING id", new { name });
        db.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES (@n, @name, @id)",
            new { n = CompetitorNames.Normalize(name), name, id });
        return id;
    }

    public async ValueTask DisposeAsync() => await Browser.DisposeAsync();
}

public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
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
}
