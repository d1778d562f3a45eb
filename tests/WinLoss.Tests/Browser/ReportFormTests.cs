using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Deque.AxeCore.Playwright;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Browser;

/// <summary>
/// The rep's form (/app/report) driven in headless Chromium on a phone-sized screen against the real service.
/// Each test signs in as its own new rep, so "their" reports are only the ones the test filed.
/// </summary>
public sealed class ReportFormTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    static ReportFormTests() => Assertions.SetDefaultExpectTimeout(15_000); // 2 shared cores: give the page time, not a deadline
    private static string Shots => BrowserFixture.ScreenshotDirectory;
    private static string Today => DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ tests

    [Fact]
    public async Task Two_reports_filed_offline_are_queued_survive_a_reload_and_are_stored_exactly_once_when_back_online()
    {
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key);
        // The service worker must hold the page before the signal goes, or the offline reload below has nothing to load.
        await page.EvaluateAsync("async () => { await navigator.serviceWorker.ready; }");
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.controller !== null");

        await context.SetOfflineAsync(true);
        await Assertions.Expect(page.Locator("#net")).ToHaveTextAsync("Offline");
        var deals = new[] { "OFF-A-" + Guid.NewGuid().ToString("N")[..6], "OFF-B-" + Guid.NewGuid().ToString("N")[..6] };
        foreach (var deal in deals)
        {
            await page.TapAsync("label[for=outcome-lost]");
            await page.FillAsync("#dealId", deal);
            await page.TapAsync("label[for=reason-price]");
            await page.TapAsync("#submit");
            await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Saved on this phone: deal {deal}");
        }
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("2 queued");
        await Assertions.Expect(page.Locator("#pending-list li")).ToHaveCountAsync(2);
        await Shot(page, "report-offline-queued.png");

        // Still offline: the page comes back from the service worker's cache, and the queue from IndexedDB.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("html[data-ready=true]");
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("2 queued");
        using (var http = browser.Service.Client(key))
            Assert.Empty((await (await http.GetAsync("/api/v1/reports?limit=50")).ReadJson())["items"]!.AsArray());

        await context.SetOfflineAsync(false);
        await Assertions.Expect(page.Locator("#queue-badge")).ToBeHiddenAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#recent-list li")).ToHaveCountAsync(2);
        await Shot(page, "report-back-online.png");

        using var client = browser.Service.Client(key);
        var items = (await (await client.GetAsync("/api/v1/reports?limit=50")).ReadJson())["items"]!.AsArray();
        Assert.Equal(deals.Order().ToArray(), items.Select(i => (string)i!["dealId"]!).Order().ToArray());
        using var db = OpenDb();
        var repId = db.ExecuteScalar<long>("SELECT user_id FROM api_keys WHERE hash = @hash", new { hash = ApiKeys.Hash(key) });
        Assert.Equal(2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM reports WHERE rep_id = @repId", new { repId }));
        Assert.Equal(2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM idempotency_keys WHERE user_id = @repId", new { repId }));
    }

    [Fact]
    public async Task A_retry_after_a_lost_response_uses_the_same_idempotency_key_and_files_the_deal_once()
    {
        var key = await NewRepAsync();
        // Page-level routing sees the page's own requests only when no service worker sits in between.
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 }, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true,
            BaseURL = browser.Service.BaseUrl, ServiceWorkers = ServiceWorkerPolicy.Block,
        });
        var page = await OpenAsync(context, key);
        var sentKeys = new List<string>();
        // The flaky network: the first POST reaches the server (which files the report) but the answer never arrives.
        await page.RouteAsync("**/api/v1/reports", async route =>
        {
            if (route.Request.Method != "POST") { await route.ContinueAsync(); return; }
            sentKeys.Add(route.Request.Headers["idempotency-key"]);
            if (sentKeys.Count == 1)
            {
                var response = await route.FetchAsync();
                Assert.Equal(201, response.Status);
                await route.AbortAsync("connectionreset");
                return;
            }
            await route.ContinueAsync();
        });

        var deal = "FLAKY-" + Guid.NewGuid().ToString("N")[..6];
        await page.TapAsync("label[for=outcome-no_decision]");
        await page.FillAsync("#dealId", deal);
        await page.TapAsync("label[for=reason-status_quo]");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("saved on this phone");
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("1 queued");

        await page.TapAsync("#retry");
        await Assertions.Expect(page.Locator("#queue-badge")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#recent-list")).ToContainTextAsync(deal);

        Assert.Equal(2, sentKeys.Count);
        Assert.Equal(sentKeys[0], sentKeys[1]);
        using var http = browser.Service.Client(key);
        var items = (await (await http.GetAsync("/api/v1/reports?limit=50")).ReadJson())["items"]!.AsArray();
        Assert.Equal(deal, (string?)Assert.Single(items)!["dealId"]);
    }

    [Fact]
    public async Task Server_validation_errors_appear_next_to_the_fields_they_name_and_the_report_stays_in_the_form()
    {
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key);

        // The browser's date picker allows any date; the server allows up to tomorrow (UTC) and says so for closedOn.
        var deal = "VAL-" + Guid.NewGuid().ToString("N")[..6];
        await page.TapAsync("label[for=outcome-lost]");
        await page.FillAsync("#dealId", deal);
        await page.FillAsync("#closedOn", "2031-06-30");
        await page.TapAsync("label[for=reason-price]");
        await page.TapAsync("#d-size summary");
        await page.FillAsync("#amount", "5000000000000");
        await page.TapAsync("#submit");

        await Assertions.Expect(page.Locator("#err-closedOn")).ToContainTextAsync("between 2000-01-01 and tomorrow");
        await Assertions.Expect(page.Locator("#err-amount")).ToContainTextAsync("between 0 and 10^12");
        await Assertions.Expect(page.Locator("#closedOn")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#error-summary")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#error-summary")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#dealId")).ToHaveValueAsync(deal);
        await Assertions.Expect(page.Locator("#queue-badge")).ToBeHiddenAsync();
        await Shot(page, "report-validation-error.png");

        // Fixing the fields clears the way; the same report (same key) is then filed.
        await page.FillAsync("#closedOn", Today);
        await page.FillAsync("#amount", "50000");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Filed: deal {deal}");
        await Assertions.Expect(page.Locator("#err-closedOn")).ToBeEmptyAsync();

        // A second report for the same deal is a 409: shown next to the deal id.
        await page.TapAsync("label[for=outcome-lost]");
        await page.FillAsync("#dealId", deal);
        await page.TapAsync("label[for=reason-timing]");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#err-dealId")).ToContainTextAsync("already exists");
        await Assertions.Expect(page.Locator("#dealId")).ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task A_queued_report_the_server_rejects_moves_to_needs_attention_and_opens_in_the_form_with_its_error()
    {
        var key = await NewRepAsync();
        var deal = "DUP-" + Guid.NewGuid().ToString("N")[..6];
        using (var admin = browser.Service.Client())
            Assert.Equal(HttpStatusCode.Created, (await admin.PostReport(Http.Report(deal))).StatusCode);

        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key);
        await context.SetOfflineAsync(true);
        await page.TapAsync("label[for=outcome-won]");
        await page.FillAsync("#dealId", deal);
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("1 queued");

        await context.SetOfflineAsync(false);
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("1 to fix", new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#attention-list")).ToContainTextAsync("already exists");
        await Shot(page, "report-needs-attention.png");

        await page.TapAsync("#attention-list button[data-fix]");
        await Assertions.Expect(page.Locator("#dealId")).ToHaveValueAsync(deal);
        await Assertions.Expect(page.Locator("#outcome-won")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#err-dealId")).ToContainTextAsync("already exists");
        await Assertions.Expect(page.Locator("#queue-badge")).ToBeHiddenAsync();

        await page.FillAsync("#dealId", deal + "-B");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Filed: deal {deal}-B");
    }

    [Fact]
    public async Task A_draft_is_saved_as_it_is_typed_and_survives_a_reload()
    {
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key);

        await page.TapAsync("label[for=outcome-no_decision]");
        await page.FillAsync("#dealId", "DRAFT-1");
        await page.Locator("#competitor-input").PressSequentiallyAsync("Acme Analytics");
        await page.Keyboard.PressAsync("Enter");
        await page.TapAsync("label[for=reason-budget]");
        await page.TapAsync("label[for=objection-price]");
        await page.FillAsync("#notes", "Budget moved to next year.");

        await page.ReloadAsync();
        await page.WaitForSelectorAsync("html[data-ready=true]");
        await Assertions.Expect(page.Locator("#outcome-no_decision")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#dealId")).ToHaveValueAsync("DRAFT-1");
        await Assertions.Expect(page.Locator("#competitor-chosen")).ToContainTextAsync("Acme Analytics");
        await Assertions.Expect(page.Locator("#reason-budget")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#objection-price")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#notes")).ToHaveValueAsync("Budget moved to next year.");
        await Assertions.Expect(page.Locator("#reasons-legend")).ToHaveTextAsync("Why no decision?");
    }

    [Fact]
    public async Task The_form_has_no_serious_or_critical_accessibility_violations()
    {
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        var signIn = await OpenAsync(context, key: null);
        await signIn.Locator("#signin").WaitForAsync();
        AssertNoSeriousViolations(await signIn.RunAxe(), "sign-in");

        var page = await OpenAsync(context, key);
        await page.TapAsync("label[for=outcome-lost]");
        await page.FillAsync("#dealId", "A11Y-1");
        await page.Locator("#competitor-input").PressSequentiallyAsync("Sal");
        await page.Locator("#competitor-list").WaitForAsync();
        AssertNoSeriousViolations(await page.RunAxe(), "form with suggestions open");
        await page.Keyboard.PressAsync("Escape");
        await page.TapAsync("label[for=reason-price]");
        await page.TapAsync("label[for=reason-timing]");
        await page.TapAsync("label[for=objection-price]");
        foreach (var summary in new[] { "#d-messages", "#d-lead", "#d-size" }) await page.TapAsync(summary + " summary");
        await page.FillAsync("#closedOn", "2031-01-01");
        await page.TapAsync("#submit");
        await page.Locator("#error-summary").WaitForAsync();
        AssertNoSeriousViolations(await page.RunAxe(), "form with every section open and errors shown");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, "report-all-sections.png"), FullPage = true });

        // Keyboard: Tab from the top reaches the outcome before the deal id, and the deal id before the submit button.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("html[data-ready=true]");
        var order = new List<string>();
        for (var i = 0; i < 40 && !order.Contains("submit"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
            order.Add(await page.EvaluateAsync<string>("() => document.activeElement.id || document.activeElement.tagName"));
        }
        Assert.True(order.IndexOf(order.First(id => id.StartsWith("outcome-", StringComparison.Ordinal))) < order.IndexOf("dealId"), string.Join(",", order));
        Assert.True(order.IndexOf("dealId") < order.IndexOf("competitor-input"), string.Join(",", order));
        Assert.True(order.IndexOf("competitor-input") < order.IndexOf("submit"), string.Join(",", order));
    }

    // ------------------------------------------------------------------ helpers

    private static void AssertNoSeriousViolations(Deque.AxeCore.Commons.AxeResult result, string state)
    {
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"axe-core ({state}): " + string.Join("; ", serious.Select(v =>
            $"{v.Id} [{v.Impact}] {v.Help}: {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
    }

    /// <summary>Opens the form; with a key, signs in by putting it where the page keeps it (as after a first sign-in).</summary>
    private async Task<IPage> OpenAsync(IBrowserContext context, string? key)
    {
        if (key is not null)
            await context.AddInitScriptAsync($"if (!localStorage.getItem('winloss.apiKey')) localStorage.setItem('winloss.apiKey', {JsonSerializer.Serialize(key)});");
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.Contains("net::ERR_INTERNET_DISCONNECTED", StringComparison.Ordinal) && !m.Text.Contains("Failed to load resource", StringComparison.Ordinal)) problems.Add(m.Text); };
        page.PageError += (_, e) => problems.Add(e);
        var response = await page.GotoAsync("/app/report");
        Assert.Equal(200, response!.Status);
        await page.WaitForSelectorAsync("html[data-ready=true]");
        Assert.Empty(problems);
        if (key is not null) await page.Locator("#report").WaitForAsync();
        return page;
    }

    private static async Task Shot(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, name) });

    private SqliteConnection OpenDb()
    {
        var c = new SqliteConnection($"Data Source={browser.Service.DbPath}");
        c.Open();
        return c;
    }

    /// <summary>A new rep and its key, through the users API (admin).</summary>
    private async Task<string> NewRepAsync()
    {
        using var admin = browser.Service.Client();
        var email = $"rep-{Guid.NewGuid():N}@example.com";
        var response = await admin.PostAsync("/api/v1/users", Http.Json(new { email, displayName = "Riley Rep", role = "rep" }));
        if (response.StatusCode == HttpStatusCode.Created) return (string)(await response.ReadJson())["key"]!["key"]!;
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"POST /api/v1/users: {response.StatusCode}");
        // The users API is not on this build yet: insert the rep as TestApp.SeedUser does.
        using var c = OpenDb();
        var key = ApiKeys.Generate();
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var id = c.ExecuteScalar<long>("INSERT INTO users (email, display_name, role, created_at) VALUES (@email, 'Riley Rep', 'rep', @now) RETURNING id", new { email, now });
        c.Execute("INSERT INTO api_keys (user_id, prefix, hash, created_at) VALUES (@id, @prefix, @hash, @now)",
            new { id, prefix = ApiKeys.DisplayPrefix(key), hash = ApiKeys.Hash(key), now });
        return key;
    }
}
