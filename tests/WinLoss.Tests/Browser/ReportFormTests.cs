using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Browser;

/// <summary>
/// The rep's form (/app/report) driven in headless Chromium on a phone-sized screen against the real service.
/// Each test signs in as its own new rep, so "their" reports are only the ones the test filed.
/// </summary>
[Trait("Tier", "Browser")]
public sealed class ReportFormTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly ConcurrentDictionary<string, Task> Seeded = new();

    static ReportFormTests() => Assertions.SetDefaultExpectTimeout(15_000); // 2 shared cores: give the page time, not a deadline
    private static string Shots => BrowserFixture.ScreenshotDirectory;
    private static string Today => DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ tests

    [Fact]
    public async Task A_rep_signs_in_and_files_a_lost_deal_with_every_section_and_the_API_stores_it()
    {
        await SeedAsync();
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key: null);

        await page.Locator("#signin").WaitForAsync();
        await Shot(page, "report-signin.png");
        await page.FillAsync("#api-key", "wl_not_a_real_key_000000000000000000000000");
        await page.TapAsync("#signin-form button[type=submit]");
        await Assertions.Expect(page.Locator("#err-apiKey")).ToContainTextAsync("not accepted");
        await page.FillAsync("#api-key", key);
        await page.TapAsync("#signin-form button[type=submit]");
        await page.Locator("#report").WaitForAsync();
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("Signed in as Riley Rep (rep)");
        await Assertions.Expect(page.Locator("#closedOn")).ToHaveValueAsync(Today);
        await Shot(page, "report-empty.png");

        var deal = "OPP-E2E-" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        await page.TapAsync("label[for=outcome-lost]");
        await page.FillAsync("#dealId", deal);
        await page.Locator("#competitor-input").PressSequentiallyAsync("sfdc");
        await page.Locator("#competitor-list [role=option]", new() { HasText = "Salesforce" }).TapAsync();
        await page.Locator("#competitor-input").PressSequentiallyAsync("Homegrown spreadsheet");
        await page.TapAsync("#competitor-add");
        await Assertions.Expect(page.Locator("#competitor-chosen li")).ToHaveCountAsync(2);
        await page.TapAsync("label[for=reason-price]");
        await page.TapAsync("label[for=reason-product_gap]");
        await page.TapAsync("label[for=primary-product_gap]");
        await page.TapAsync("label[for=objection-integration]");
        await page.TapAsync("label[for=objection-0-overcome]");
        await page.SelectOptionAsync("#objection-0-competitor", "Salesforce");
        await page.TapAsync("#d-messages summary");
        await page.Locator("fieldset[data-message=roi-90] label", new() { HasText = "Resonated" }).TapAsync();
        await page.Locator("#collateral-chips label", new() { HasText = "Security whitepaper" }).TapAsync();
        await page.TapAsync("#d-lead summary");
        await page.FillAsync("#leadSource", "Partner");
        await page.TapAsync("label[for=leadQuality-4]");
        await page.TapAsync("#d-size summary");
        await page.FillAsync("#amount", "48,000");
        await page.SelectOptionAsync("#currency", "EUR");
        await page.TapAsync("label[for=segment-mid_market]");
        await page.SelectOptionAsync("#stageReached", "proposal");
        await page.FillAsync("#notes", "Lost on integration depth; price was close.");
        await page.Locator("#report").ScreenshotAsync(new() { Path = Path.Combine(Shots, "report-filled-form.png") });

        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Filed: deal {deal}");
        await Assertions.Expect(page.Locator("#recent-list")).ToContainTextAsync(deal);
        await Assertions.Expect(page.Locator("#dealId")).ToHaveValueAsync("");
        await Assertions.Expect(page.Locator("#queue-badge")).ToBeHiddenAsync();
        await Shot(page, "report-filed.png");

        using var http = browser.Service.Client(key);
        var list = await (await http.GetAsync("/api/v1/reports?limit=50")).ReadJson();
        var summary = Assert.Single(list["items"]!.AsArray());
        Assert.Equal(deal, summary!["dealId"]!.GetValue<string>());
        var report = await (await http.GetAsync($"/api/v1/reports/{summary["id"]}")).ReadJson();
        Assert.Equal("lost", (string?)report["outcome"]);
        Assert.Equal(Today, (string?)report["closedOn"]);
        Assert.Equal(48000m, report["amount"]!.GetValue<decimal>());
        Assert.Equal("EUR", (string?)report["currency"]);
        Assert.Equal("mid_market", (string?)report["segment"]);
        Assert.Equal("proposal", (string?)report["stageReached"]);
        var competitors = report["competitors"]!.AsArray();
        Assert.Equal(2, competitors.Count);
        Assert.Equal("Salesforce", (string?)competitors[0]!["name"]);
        Assert.True((bool)competitors[0]!["matched"]!);
        Assert.True((bool)competitors[0]!["primary"]!);
        Assert.Equal("Homegrown spreadsheet", (string?)competitors[1]!["name"]);
        Assert.False((bool)competitors[1]!["primary"]!);
        var reasons = report["reasons"]!.AsArray();
        Assert.Equal(["price", "product_gap"], reasons.Select(r => (string)r!["category"]!).ToArray());
        Assert.Equal([false, true], reasons.Select(r => (bool)r!["primary"]!).ToArray());
        var objection = Assert.Single(report["objections"]!.AsArray());
        Assert.Equal("integration", (string?)objection!["category"]);
        Assert.True((bool)objection["overcome"]!);
        Assert.Equal("Salesforce", (string?)objection["competitor"]);
        var message = Assert.Single(report["messages"]!.AsArray());
        Assert.Equal("roi-90", (string?)message!["messageId"]);
        Assert.Equal("resonated", (string?)message["resonance"]);
        Assert.Equal(["sec-whitepaper"], report["collateralUsed"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal("Partner", (string?)report["leadSource"]);
        Assert.Equal(4, (int)report["leadQuality"]!);
        Assert.Equal("Lost on integration depth; price was close.", (string?)report["notes"]);

        // The same page on a laptop: one readable column, same key (kept in the browser).
        await using var laptop = await browser.LaptopAsync();
        var wide = await OpenAsync(laptop, key);
        await wide.ClickAsync("label[for=outcome-won]");
        await Assertions.Expect(wide.Locator("#recent-list")).ToContainTextAsync(deal);
        await wide.ScreenshotAsync(new() { Path = Path.Combine(Shots, "report-laptop.png") });
    }

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
    public async Task A_report_queued_by_one_rep_is_never_sent_with_another_reps_key()
    {
        var alex = await NewRepAsync("Alex Field");
        var blair = await NewRepAsync("Blair Desk");
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key: null);
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // "Sign out on this device?"

        await SignInAsync(page, alex);
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("Alex Field");
        await context.SetOfflineAsync(true);
        var deal = "SHARED-" + Guid.NewGuid().ToString("N")[..6];
        await page.TapAsync("label[for=outcome-won]");
        await page.FillAsync("#dealId", deal);
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("1 queued");
        await page.TapAsync("#signout");
        await context.SetOfflineAsync(false);

        await SignInAsync(page, blair);
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("Blair Desk");
        await Assertions.Expect(page.Locator("#pending-list")).ToContainTextAsync("filed by another user");
        await page.TapAsync("#retry");
        await Assertions.Expect(page.Locator("#queue-badge")).ToHaveTextAsync("1 queued");
        foreach (var key in new[] { alex, blair })
        {
            using var http = browser.Service.Client(key);
            Assert.Empty((await (await http.GetAsync("/api/v1/reports?limit=50")).ReadJson())["items"]!.AsArray());
        }

        await page.TapAsync("#signout");
        await SignInAsync(page, alex);
        await Assertions.Expect(page.Locator("#queue-badge")).ToBeHiddenAsync();
        using var alexHttp = browser.Service.Client(alex);
        var items = (await (await alexHttp.GetAsync("/api/v1/reports?limit=50")).ReadJson())["items"]!.AsArray();
        Assert.Equal(deal, (string?)Assert.Single(items)!["dealId"]);
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
        await SeedAsync();
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
        for (var i = 0; i < 60 && !order.Contains("submit"); i++) // the shared header's links come first
        {
            await page.Keyboard.PressAsync("Tab");
            order.Add(await page.EvaluateAsync<string>("() => document.activeElement.id || document.activeElement.tagName"));
        }
        Assert.True(order.IndexOf(order.First(id => id.StartsWith("outcome-", StringComparison.Ordinal))) < order.IndexOf("dealId"), string.Join(",", order));
        Assert.True(order.IndexOf("dealId") < order.IndexOf("competitor-input"), string.Join(",", order));
        Assert.True(order.IndexOf("competitor-input") < order.IndexOf("submit"), string.Join(",", order));
    }

    [Fact]
    public async Task A_typical_lost_deal_takes_five_taps_plus_typing()
    {
        await SeedAsync();
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        await context.AddInitScriptAsync(
            "window.__taps = 0; addEventListener('touchstart', () => window.__taps++, { capture: true, passive: true });");
        var page = await OpenAsync(context, key);

        // Outcome, deal id (typed), competitor (4 letters + suggestion), reason, file.
        await page.EvaluateAsync("() => { window.__taps = 0; }");
        var deal = "TAPS-" + Guid.NewGuid().ToString("N")[..6];
        await page.TapAsync("label[for=outcome-lost]");
        await page.TapAsync("#dealId");
        await page.Keyboard.TypeAsync(deal);
        await page.Keyboard.PressAsync("Enter"); // the keyboard's Next key: moves to the competitor field
        await Assertions.Expect(page.Locator("#competitor-input")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("sale");
        await page.Locator("#competitor-list [role=option]", new() { HasText = "Salesforce" }).TapAsync();
        await page.TapAsync("label[for=reason-price]");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Filed: deal {deal}");

        using var http = browser.Service.Client(key);
        var list = (await (await http.GetAsync("/api/v1/reports?limit=5")).ReadJson())["items"]!.AsArray();
        var filed = await (await http.GetAsync($"/api/v1/reports/{Assert.Single(list)!["id"]}")).ReadJson();
        Assert.Equal("lost", (string?)filed["outcome"]);
        Assert.Equal("Salesforce", (string?)filed["competitors"]![0]!["name"]);
        Assert.Equal("price", (string?)filed["reasons"]![0]!["category"]);
        Assert.Equal(5, await page.EvaluateAsync<int>("() => window.__taps"));
    }

    /// <summary>
    /// Not a test but a measurement (scripts/bench.sh report-form; excluded from scripts/test.sh): time-to-interactive on the
    /// phone profile with a mid-range phone's CPU (4× slowdown) and Chrome's "Fast 3G" network, cold (first visit) and warm
    /// (service worker cache). Printed, and written to $WINLOSS_BENCH_OUT when set; nothing is written into the repository.
    /// </summary>
    [Fact]
    [Trait("Tier", "Benchmark")]
    public async Task Measure_time_to_interactive_on_a_phone()
    {
        await SeedAsync();
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        await context.AddInitScriptAsync($"localStorage.setItem('winloss.apiKey', {JsonSerializer.Serialize(key)});");
        var page = await context.NewPageAsync();
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 562.5, ["downloadThroughput"] = 1_600_000 / 8 * 0.9, ["uploadThroughput"] = 750_000 / 8 * 0.9,
        });
        await cdp.SendAsync("Emulation.setCPUThrottlingRate", new Dictionary<string, object> { ["rate"] = 4 });
        await page.GotoAsync("/app/report/"); // first visit: empty HTTP cache, no service worker yet
        var cold = await Timing(page);

        await page.EvaluateAsync("async () => { await navigator.serviceWorker.ready; }");
        await page.WaitForFunctionAsync("() => navigator.serviceWorker.controller !== null");
        await page.ReloadAsync();
        var warm = await Timing(page);
        Assert.True(await page.EvaluateAsync<bool>("() => navigator.serviceWorker.controller !== null"));

        var lines = new[]
        {
            "WinLoss /app/report — scripts/bench.sh report-form",
            "phone profile: 390x844 @2x, touch; CPU 4x slowdown; network Chrome 'Fast 3G' (562.5 ms RTT, 1.6 Mbit/s down)",
            $"cold load (first visit):       interactive {cold.Interactive:F0} ms, DOMContentLoaded {cold.DomContentLoaded:F0} ms, load {cold.Load:F0} ms, {cold.Requests} requests, {cold.Bytes / 1024.0:F1} KiB",
            $"warm load (service worker):    interactive {warm.Interactive:F0} ms, DOMContentLoaded {warm.DomContentLoaded:F0} ms, load {warm.Load:F0} ms",
        };
        foreach (var line in lines) TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("WINLOSS_BENCH_OUT") is { Length: > 0 } output) await File.WriteAllLinesAsync(output, lines);
    }

    [Fact]
    public async Task An_objection_defaults_to_the_primary_competitor_of_the_deal()
    {
        await SeedAsync();
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key);
        var deal = "OPP-OBJ-" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        await page.TapAsync("label[for=outcome-lost]");
        await page.FillAsync("#dealId", deal);
        foreach (var name in new[] { "Salesforce", "HubSpot" })
        {
            await page.Locator("#competitor-input").PressSequentiallyAsync(name[..4]);
            await page.Locator("#competitor-list [role=option]", new() { HasText = name }).TapAsync();
        }
        await page.TapAsync("#competitor-chosen button[data-action=primary][data-index='1']"); // HubSpot is the main one
        await page.TapAsync("label[for=reason-price]");
        await page.TapAsync("label[for=objection-price]");
        await Assertions.Expect(page.Locator("#objection-0-competitor")).ToHaveValueAsync("HubSpot");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Filed: deal {deal}");

        using var http = browser.Service.Client(key);
        var id = (long)(await (await http.GetAsync("/api/v1/reports?limit=1")).ReadJson())["items"]![0]!["id"]!;
        var stored = await (await http.GetAsync($"/api/v1/reports/{id}")).ReadJson();
        Assert.Equal("HubSpot", (string?)stored["objections"]![0]!["competitor"]);
    }

    [Fact]
    public async Task Typing_a_competitor_before_the_list_arrives_shows_the_matches_once_it_does()
    {
        await SeedAsync();
        var key = await NewRepAsync();
        await using var context = await browser.PhoneAsync();
        var listAsked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await context.RouteAsync("**/api/v1/competitors", async route =>
        {
            listAsked.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30)); // a slow network: the list arrives after the rep typed
            await route.ContinueAsync();
        });
        var page = await OpenAsync(context, key);
        await listAsked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("Signed in as");
        await page.TapAsync("label[for=outcome-lost]");
        await page.Locator("#competitor-input").PressSequentiallyAsync("Sale");
        await Assertions.Expect(page.Locator("#competitor-list [role=option]")).ToHaveTextAsync(["Add “Sale”"]);
        release.SetResult();
        await page.Locator("#competitor-list [role=option]", new() { HasText = "Salesforce" }).TapAsync();
        await Assertions.Expect(page.Locator("#competitor-chosen")).ToContainTextAsync("Salesforce");
    }

    [Fact]
    public async Task A_duplicate_deal_error_opens_the_existing_report_for_amendment_and_the_amendment_is_stored()
    {
        await SeedAsync();
        var key = await NewRepAsync();
        var deal = "OPP-DUP-" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        using var http = browser.Service.Client(key);
        var first = await http.PostReport(Http.Report(deal, r => { r["region"] = "EMEA"; r["product"] = "Core"; }));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (long)(await first.ReadJson())["id"]!;

        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key);
        await page.TapAsync("label[for=outcome-won]");
        await page.FillAsync("#dealId", deal);
        await page.TapAsync("#submit");
        var amend = page.Locator("#duplicate-amend");
        await Assertions.Expect(amend).ToHaveTextAsync($"Amend report #{id} instead");
        await Assertions.Expect(page.Locator("#err-dealId")).ToContainTextAsync("already exists");
        await amend.TapAsync();

        await Assertions.Expect(page.Locator("#amend-banner")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#amend-text")).ToContainTextAsync($"report #{id}");
        await Assertions.Expect(page.Locator("#submit")).ToHaveTextAsync("Save amendment");
        await Assertions.Expect(page.Locator("#dealId")).ToHaveValueAsync(deal);
        await Assertions.Expect(page.Locator("#outcome-lost")).ToBeCheckedAsync(); // the stored report, not the draft
        await page.FillAsync("#notes", "Amended from the duplicate warning.");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"Amended: deal {deal} is now version 2");

        var stored = await (await http.GetAsync($"/api/v1/reports/{id}")).ReadJson();
        Assert.Equal(2, (int)stored["version"]!);
        Assert.Equal("Amended from the duplicate warning.", (string?)stored["notes"]);
        Assert.Equal("EMEA", (string?)stored["region"]);   // fields the form does not edit are kept
        Assert.Equal("Core", (string?)stored["product"]);
        Assert.Equal("20% cheaper", (string?)stored["reasons"]![0]!["detail"]);
        Assert.Equal("too expensive", (string?)stored["objections"]![0]!["text"]);
        var list = (await (await http.GetAsync("/api/v1/reports?limit=5")).ReadJson())["items"]!.AsArray();
        Assert.Single(list); // amended, not filed twice
    }

    [Fact]
    public async Task A_recent_report_opens_for_amendment()
    {
        await SeedAsync();
        var key = await NewRepAsync();
        var deal = "OPP-REC-" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        using var http = browser.Service.Client(key);
        var created = await http.PostReport(Http.Report(deal));
        var id = (long)(await created.ReadJson())["id"]!;

        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, key);
        var item = page.Locator("#recent-list li", new() { HasText = deal });
        await item.GetByRole(AriaRole.Button, new() { Name = $"Amend deal {deal}" }).TapAsync();
        await Assertions.Expect(page.Locator("#amend-banner")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#dealId")).ToHaveValueAsync(deal);
        await Assertions.Expect(page.Locator("#competitor-chosen li")).ToContainTextAsync("Acme Corp");
        await page.TapAsync("label[for=outcome-no_decision]");
        await page.TapAsync("#submit");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("is now version 2");
        Assert.Equal("no_decision", (string?)(await (await http.GetAsync($"/api/v1/reports/{id}")).ReadJson())["outcome"]);
        await Assertions.Expect(page.Locator("#amend-banner")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Signed_in_as_marketing_your_recent_reports_lists_none_of_the_reps_reports()
    {
        await SeedAsync();
        var repKey = await NewRepAsync();
        var deal = "OPP-MKT-" + Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        using (var rep = browser.Service.Client(repKey)) Assert.Equal(HttpStatusCode.Created, (await rep.PostReport(Http.Report(deal))).StatusCode);
        using var admin = browser.Service.Client();
        var created = await admin.PostAsync("/api/v1/users", Http.Json(new { email = $"mkt-{Guid.NewGuid():N}@example.com", displayName = "Morgan Marketing", role = "marketing" }));
        var marketingKey = (string)(await created.ReadJson())["key"]!["key"]!;
        using (var marketing = browser.Service.Client(marketingKey))
            Assert.Contains(deal, await marketing.GetStringAsync("/api/v1/reports?limit=50")); // marketing may read it in the API

        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, marketingKey);
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync("(marketing)");
        await Assertions.Expect(page.Locator("#recent-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#recent-list li")).ToHaveCountAsync(0);
    }

    // ------------------------------------------------------------------ helpers

    private sealed record PageTiming(double Interactive, double DomContentLoaded, double Load, int Requests, double Bytes);

    private static async Task<PageTiming> Timing(IPage page)
    {
        await page.WaitForSelectorAsync("html[data-ready=true]");
        await page.WaitForLoadStateAsync(LoadState.Load);
        var t = await page.EvaluateAsync<JsonElement>(
            """
            () => {
              const nav = performance.getEntriesByType('navigation')[0];
              const mark = performance.getEntriesByName('winloss-interactive')[0];
              const res = performance.getEntriesByType('resource');
              return { interactive: mark.startTime, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                       requests: res.length + 1, bytes: res.reduce((s, r) => s + (r.transferSize || 0), nav.transferSize || 0) };
            }
            """);
        return new PageTiming(t.GetProperty("interactive").GetDouble(), t.GetProperty("dcl").GetDouble(), t.GetProperty("load").GetDouble(),
            t.GetProperty("requests").GetInt32(), t.GetProperty("bytes").GetDouble());
    }

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

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.Locator("#signin").WaitForAsync();
        await page.FillAsync("#api-key", key);
        await page.TapAsync("#signin-form button[type=submit]");
        await page.Locator("#report").WaitForAsync();
    }

    private static async Task Shot(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(Shots, name) });

    private System.Data.Common.DbConnection OpenDb() => ServiceProcess.OpenDb(browser.Service.DbPath);

    /// <summary>A new rep and its key, through the users API (admin).</summary>
    private async Task<string> NewRepAsync(string displayName = "Riley Rep")
    {
        using var admin = browser.Service.Client();
        var response = await admin.PostAsync("/api/v1/users",
            Http.Json(new { email = $"rep-{Guid.NewGuid():N}@example.com", displayName, role = "rep" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.ReadJson())["key"]!["key"]!;
    }

    /// <summary>Competitors with aliases and a small catalogue, once per service (through the API, as an analyst would).</summary>
    private Task SeedAsync() => Seeded.GetOrAdd(browser.Service.BaseUrl, _ => SeedOnceAsync());

    private async Task SeedOnceAsync()
    {
        using var admin = browser.Service.Client();
        foreach (var (name, aliases) in new[] { ("Salesforce", new[] { "SFDC", "Sales Force" }), ("Microsoft Dynamics", new[] { "MSFT", "Dynamics 365" }), ("HubSpot", Array.Empty<string>()) })
        {
            var r = await admin.PostAsync("/api/v1/competitors", Http.Json(new { name, aliases }));
            Assert.True(r.StatusCode == HttpStatusCode.Created, $"POST /api/v1/competitors {name}: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        foreach (var (id, title) in new[] { ("roi-90", "ROI in 90 days"), ("no-code", "No-code setup in a week") })
        {
            var r = await admin.PostAsync("/api/v1/catalog/messages", Http.Json(new { id, title, active = true }));
            Assert.True(r.StatusCode == HttpStatusCode.Created, $"POST /api/v1/catalog/messages {id}: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        var c1 = await admin.PostAsync("/api/v1/catalog/collateral", Http.Json(new { id = "sec-whitepaper", title = "Security whitepaper", active = true }));
        Assert.True(c1.StatusCode == HttpStatusCode.Created, $"POST /api/v1/catalog/collateral: {c1.StatusCode} {await c1.Content.ReadAsStringAsync()}");
    }
}
