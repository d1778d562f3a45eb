using System.Text.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace WinLoss.Tests.Browser;

/// <summary>The dashboard views over the trend endpoints (docs/api-guide.md, "Trends").</summary>
public sealed partial class DashboardTests
{
    [Fact]
    public async Task The_landing_view_shows_alerts_first_then_rising_objections_with_the_figures_the_api_returns()
    {
        var (context, page) = await SignedInAsync();
        await using var _ = context;
        await page.GotoAsync($"/app/trends?{Range}");
        await ReadyAsync(page);
        await ShotAsync(page, "dashboard-overview.png");

        var headings = await page.Locator("#view h2").AllInnerTextsAsync();
        Assert.Equal(["Alerts", "Rising objections"], headings.Take(2));

        // Integration: 2 of 20 deals in September, 20 of 40 in October; pooled z = 3.03 (by hand), rising.
        var api = await ApiAsync($"/api/v1/trends/objections?{Range}");
        var october = Row(api, "rows", r => r["period"]!.GetValue<string>() == "2026-10" && r["category"]!.GetValue<string>() == "integration");
        var row = "tr[data-category='integration']";
        Assert.Equal(Pct(october["share"]!["value"]!.GetValue<double>()), await CellAsync(page, row, "share"));
        Assert.Equal("50.0%", await CellAsync(page, row, "share"));
        Assert.Equal("10.0%", await CellAsync(page, row, "previous"));
        Assert.Equal("+40.0 pts", await CellAsync(page, row, "delta"));
        Assert.Equal(october["z"]!.GetValue<double>().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), await CellAsync(page, row, "z"));
        Assert.Equal("3.03", await CellAsync(page, row, "z"));
        Assert.Equal("20", await CellAsync(page, row, "deals"));
        Assert.Contains("rising", await CellAsync(page, row, "category"));
        Assert.True(october["rising"]!.GetValue<bool>());
        // Price: 2 of 20 deals in September, 3 of 40 in October: not rising, and not marked.
        Assert.DoesNotContain("rising", await CellAsync(page, "tr[data-category='price']", "category"));
        Assert.Equal("7.5%", await CellAsync(page, "tr[data-category='price']", "share"));

        var chart = await ChartDataAsync(page, "objection-share");
        Assert.Equal(["2026-09", "2026-10"], chart.GetProperty("labels").EnumerateArray().Select(x => x.GetString()));
        var integration = chart.GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("label").GetString() == "Integration");
        Assert.Equal([0.1, 0.5], integration.GetProperty("data").EnumerateArray().Select(x => x.GetDouble()));
    }

    [Fact]
    public async Task Competitor_win_rates_carry_their_intervals_and_low_sample_periods_are_marked()
    {
        var (context, page) = await SignedInAsync();
        await using var _ = context;
        await page.GotoAsync($"/app/trends?view=competitors&{Range}");
        await ReadyAsync(page);
        await ShotAsync(page, "dashboard-competitors.png");

        // Acme over both months: 15 won of 37 decided = 40.5%, Wilson 95% [26.3%, 56.5%] (computed by hand).
        var api = await ApiAsync($"/api/v1/trends/competitors?{Range}");
        var acme = Row(api, "overall", r => CompetitorOf(r) == "Acme");
        var acmeCell = await CellAsync(page, "tr[data-competitor='Acme']", "winRate");
        Assert.StartsWith(Pct(acme["winRate"]!["value"]!.GetValue<double>()), acmeCell);
        AcmeBothMonths(acmeCell);
        Assert.Equal("40", await CellAsync(page, "tr[data-competitor='Acme']", "deals"));
        // Globex: 7 of 10, fewer than the minimum sample of 20: flagged, not hidden.
        var globex = RateCell(await CellAsync(page, "tr[data-competitor='Globex']", "winRate"));
        Near(70.0, globex.Rate); Near(39.68, globex.Low); Near(89.22, globex.High);
        Assert.True(globex.LowSample);
        Assert.Equal("(none named)", await CellAsync(page, "tr[data-competitor='(none named)']", "competitor"));

        // The chart: September 6/10 (low sample: triangle), October 9/27 = 33.3% [18.6%, 52.2%] (circle).
        var chart = await ChartDataAsync(page, "winrate:Acme");
        Assert.Equal(["2026-09", "2026-10"], chart.GetProperty("labels").EnumerateArray().Select(x => x.GetString()));
        var sets = chart.GetProperty("datasets").EnumerateArray().ToList();
        var line = sets.Single(s => s.GetProperty("label").GetString() == "Acme");
        Assert.Equal([0.6, 0.3333], line.GetProperty("data").EnumerateArray().Select(x => Math.Round(x.GetDouble(), 4)));
        Assert.Equal(["triangle", "circle"], line.GetProperty("pointStyle").EnumerateArray().Select(x => x.GetString()));
        var high = sets.Single(s => s.GetProperty("label").GetString()!.Contains("(high)"));
        var low = sets.Single(s => s.GetProperty("label").GetString()!.Contains("(low)"));
        Assert.Equal(0.1864, Math.Round(low.GetProperty("data")[1].GetDouble(), 3), 3);
        Assert.Equal(0.5218, Math.Round(high.GetProperty("data")[1].GetDouble(), 3), 3);
    }

    [Fact]
    public async Task Filters_change_the_charts_and_the_url_and_the_back_button_restores_them()
    {
        var (context, page) = await SignedInAsync();
        await using var _ = context;
        await page.GotoAsync($"/app/trends?view=competitors&{Range}");
        await ReadyAsync(page);
        AcmeBothMonths(await CellAsync(page, "tr[data-competitor='Acme']", "winRate"));

        // Enterprise only: Acme September 3/5, October 2/11 → 5/16 = 31.3%, low sample.
        await page.SelectOptionAsync("#f-segment", "enterprise");
        await WaitForAsync(page, "location.search.includes('segment=enterprise')");
        var api = await ApiAsync($"/api/v1/trends/competitors?{Range}&segment=enterprise");
        var acme = Row(api, "overall", r => CompetitorOf(r) == "Acme");
        var cell = await CellAsync(page, "tr[data-competitor='Acme']", "winRate");
        Assert.StartsWith(Pct(acme["winRate"]!["value"]!.GetValue<double>()), cell);
        var enterprise = RateCell(cell);
        Near(31.25, enterprise.Rate); Near(14.16, enterprise.Low); Near(55.60, enterprise.High); // 5/16, by hand
        Assert.True(enterprise.LowSample);
        var chart = await ChartDataAsync(page, "winrate:Acme");
        var line = chart.GetProperty("datasets").EnumerateArray().Single(s => s.GetProperty("label").GetString() == "Acme");
        Assert.Equal([0.6, 0.1818], line.GetProperty("data").EnumerateArray().Select(x => Math.Round(x.GetDouble(), 4)));
        Assert.Equal(0, await page.Locator("tr[data-competitor='Globex']").CountAsync()); // Globex met only SMB deals
        await ShotAsync(page, "dashboard-competitors-enterprise.png");

        // Quarters: one bucket, and the URL says so.
        await page.SelectOptionAsync("#f-granularity", "quarter");
        await WaitForAsync(page, "location.search.includes('granularity=quarter') && location.search.includes('segment=enterprise')");
        chart = await ChartDataAsync(page, "winrate:Acme");
        Assert.Equal(["2026-Q3", "2026-Q4"], chart.GetProperty("labels").EnumerateArray().Select(x => x.GetString()));

        // Back twice: monthly, all segments again — the view follows the URL.
        await page.GoBackAsync();
        await WaitForAsync(page, "location.search.includes('granularity=month') && location.search.includes('segment=enterprise')");
        await page.GoBackAsync();
        await WaitForAsync(page, "!location.search.includes('segment=')");
        Assert.Equal("", await page.InputValueAsync("#f-segment"));
        AcmeBothMonths(await CellAsync(page, "tr[data-competitor='Acme']", "winRate"));

        // The URL is a shareable link: a new tab opened on it shows the same filtered view.
        var shared = await context.NewPageAsync();
        await shared.GotoAsync($"/app/trends?view=competitors&{Range}&segment=enterprise");
        await ReadyAsync(shared);
        Assert.Equal("enterprise", await shared.InputValueAsync("#f-segment"));
        Assert.StartsWith("31.3%", await CellAsync(shared, "tr[data-competitor='Acme']", "winRate"));
    }

    [Fact]
    public async Task Csv_download_is_the_csv_of_the_query_on_screen()
    {
        var (context, page) = await SignedInAsync();
        await using var _ = context;
        await page.GotoAsync($"/app/trends?view=competitors&{Range}&segment=smb");
        await ReadyAsync(page);

        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Button, new() { Name = "Download CSV: Win rate against each competitor over time" }).ClickAsync());
        Assert.Equal("competitor-trends.csv", download.SuggestedFilename);
        var path = Path.Combine(B.Directory, "download.csv");
        await download.SaveAsAsync(path);
        var csv = await File.ReadAllTextAsync(path);

        using var client = B.Service.Client();
        var expected = await client.GetStringAsync($"/api/v1/trends/competitors?{Range}&segment=smb&format=csv");
        Assert.Equal(expected, csv);
        Assert.Contains("Acme", csv);
        Assert.Contains("Globex", csv);
    }

    [Fact]
    public async Task The_views_pass_axe_have_no_script_errors_under_the_csp_and_fit_a_tablet()
    {
        var (context, page) = await SignedInAsync();
        await using var _ = context;
        var problems = new List<string>();
        // Script errors and CSP refusals ("Refused to ..."); failed fetches are the API's answers, shown on the page.
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) problems.Add(m.Text); };
        page.PageError += (_, e) => problems.Add(e);

        foreach (var view in new[] { "overview", "competitors" })
        {
            await page.GotoAsync($"/app/trends?view={view}&{Range}");
            await ReadyAsync(page);
            AssertNoSeriousViolations(await page.RunAxe(), view);
        }
        // Keyboard: the view links are reachable with Tab and follow with Enter.
        await page.Locator("#nav a[data-view='overview']").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await WaitForAsync(page, "location.search.includes('view=overview')");

        await page.SetViewportSizeAsync(1024, 768);
        await page.GotoAsync($"/app/trends?view=competitors&{Range}");
        await ReadyAsync(page);
        await ShotAsync(page, "dashboard-competitors-tablet.png");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling on a tablet");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task A_competitor_opens_its_head_to_head_page_with_its_own_url()
    {
        var (context, page) = await SignedInAsync();
        await using var _ = context;
        await page.GotoAsync($"/app/trends?view=competitors&{Range}");
        await ReadyAsync(page);
        await page.ClickAsync("tr[data-competitor='Acme'] a");
        await WaitForAsync(page, $"location.search.includes('view=competitor&') && location.search.includes('competitor={fixture.AcmeId}')");
        Assert.Equal("Head-to-head: Acme", await page.InnerTextAsync("h1.view-title"));
        await ShotAsync(page, "dashboard-head-to-head.png");

        // 15 of 37 over both months (hand: 40.5%); September 6/10, October 9/27 on the chart.
        Assert.Contains("40.5%", await page.InnerTextAsync("section[aria-labelledby='p-win-rate-over-time'] .note"));
        var chart = await ChartDataAsync(page, "h2h-winrate");
        var line = chart.GetProperty("datasets").EnumerateArray().Single(s => s.GetProperty("label").GetString() == "Acme");
        Assert.Equal([0.6, 0.3333], line.GetProperty("data").EnumerateArray().Select(x => Math.Round(x.GetDouble(), 4)));
        // By segment: enterprise 5/16 = 31.3%, SMB 10/21 = 47.6% (by hand).
        var enterprise = RateCell(await CellAsync(page, "section[aria-labelledby='p-by-segment'] tr:has(th:text-is('Enterprise'))", "winRate"));
        Near(31.25, enterprise.Rate);
        var smb = RateCell(await CellAsync(page, "section[aria-labelledby='p-by-segment'] tr:has(th:text-is('SMB'))", "winRate"));
        Near(47.62, smb.Rate);

        await page.GoBackAsync();
        await WaitForAsync(page, "location.search.includes('view=competitors')");
        Assert.Equal(1, await page.Locator("tr[data-competitor='Acme']").CountAsync());
    }
}
