using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>
/// The public survey page in headless Chromium on a phone (390×844, touch) against the real service: answered with the
/// keyboard alone in well under two minutes, axe-clean, clear when offline, kind when the link is used or unknown, and
/// never sending a key.
/// </summary>
[Trait("Tier", "Browser")]
public sealed class SurveyPageTests(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    static SurveyPageTests() => Assertions.SetDefaultExpectTimeout(15_000); // 2 shared cores: give the page time

    private HttpClient Admin()
    {
        var client = new HttpClient { BaseAddress = new Uri(browser.Service.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestApp.AdminKey);
        return client;
    }

    private async Task<(string Deal, string Path)> NewLinkAsync()
    {
        var deal = "SP-" + Guid.NewGuid().ToString("N")[..8];
        var response = await Admin().PostAsync($"/api/v1/deals/{deal}/survey-links", Http.Json("{}"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var url = new Uri((await response.ReadJson())["url"]!.GetValue<string>());
        return (deal, url.AbsolutePath);
    }

    private static async Task<IPage> OpenAsync(IBrowserContext context, string path, List<string> authorizationHeaders)
    {
        var page = await context.NewPageAsync();
        page.Request += (_, request) =>
        {
            if (request.Headers.ContainsKey("authorization")) lock (authorizationHeaders) authorizationHeaders.Add(request.Url);
        };
        await page.GotoAsync(path);
        return page;
    }

    /// <summary>Presses Tab until the element with this id has focus (keyboard only, as a person would).</summary>
    private static async Task TabToAsync(IPage page, string id)
    {
        for (var i = 0; i < 60; i++)
        {
            if (await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''") == id) return;
            await page.Keyboard.PressAsync("Tab");
        }
        Assert.Fail($"could not reach #{id} with Tab");
    }

    private static async Task<JsonArray> FeedbackAsync(HttpClient admin, string deal) =>
        (await (await admin.GetAsync($"/api/v1/deals/{deal}/buyer-feedback")).ReadJson())["items"]!.AsArray();

    [Fact]
    public async Task A_buyer_answers_on_a_phone_with_the_keyboard_alone_in_under_two_minutes()
    {
        var (deal, path) = await NewLinkAsync();
        await using var context = await browser.PhoneAsync();
        var sent = new List<string>();
        var clock = Stopwatch.StartNew();
        var page = await OpenAsync(context, path, sent);
        await Assertions.Expect(page.Locator("#survey")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "survey-phone.png"), FullPage = true });

        await TabToAsync(page, "decision-chose_us");
        await page.Keyboard.PressAsync("ArrowDown");                    // → "We chose another vendor"
        await TabToAsync(page, "vendorChosen");
        await page.Keyboard.TypeAsync("Acme Corp");
        await TabToAsync(page, "reason-price");
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "reason-integration");
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "top-price");                           // question 4 appears once two reasons are picked
        await page.Keyboard.PressAsync("ArrowDown");                    // → integration mattered most
        await TabToAsync(page, "role-economic_buyer");
        for (var i = 0; i < 3; i++) await page.Keyboard.PressAsync("ArrowDown"); // → technical evaluator
        await TabToAsync(page, "comment");
        await page.Keyboard.TypeAsync("Their connector worked on day one.");
        await TabToAsync(page, "send");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.Locator("#message-title")).ToHaveTextAsync("Thank you!");
        clock.Stop();
        output.WriteLine($"survey answered by keyboard in {clock.Elapsed.TotalSeconds:F1} s (page load to thank-you)");
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"took {clock.Elapsed}");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "survey-thanks.png") });

        var stored = Assert.Single(await FeedbackAsync(Admin(), deal))!;
        Assert.Equal("survey", stored["source"]!.GetValue<string>());
        Assert.Equal("lost", stored["outcome"]!.GetValue<string>());
        Assert.Equal(["integration", "price"], stored["reasons"]!.AsArray().Select(r => r!["category"]!.GetValue<string>()));
        Assert.Equal("Acme Corp", stored["competitorChosen"]!["name"]!.GetValue<string>());
        Assert.Equal("technical_evaluator", stored["intervieweeRole"]!.GetValue<string>());
        Assert.Empty(sent); // no request carried an Authorization header
    }

    [Fact]
    public async Task The_survey_is_axe_clean_with_errors_shown_and_in_its_closed_states()
    {
        var (_, path) = await NewLinkAsync();
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, path, []);
        await Assertions.Expect(page.Locator("#survey")).ToBeVisibleAsync();
        AssertClean(await page.RunAxe(), "empty form");

        await page.Locator("#send").ClickAsync();                       // nothing answered: errors on 1, 3 and 5
        await Assertions.Expect(page.Locator("#err-decision")).ToContainTextAsync("what you decided");
        await Assertions.Expect(page.Locator("#err-reasons")).ToContainTextAsync("at least one reason");
        await Assertions.Expect(page.Locator("#err-role")).ToContainTextAsync("role");
        AssertClean(await page.RunAxe(), "form with errors");

        // Three reasons is the most: the others are disabled until one is unticked.
        foreach (var code in new[] { "price", "timing", "budget" }) await page.Locator($"label[for=reason-{code}]").ClickAsync();
        await Assertions.Expect(page.Locator("#reason-support")).ToBeDisabledAsync();
        AssertClean(await page.RunAxe(), "form with three reasons");

        var unknown = await OpenAsync(context, "/survey/" + new string('x', 43), []);
        await Assertions.Expect(unknown.Locator("#message-title")).ToHaveTextAsync("Survey not found");
        await Assertions.Expect(unknown.Locator("#message-text")).ToContainTextAsync("couldn't find this survey");
        AssertClean(await unknown.RunAxe(), "unknown link");
    }

    [Fact]
    public async Task A_used_link_says_so_kindly()
    {
        var (_, path) = await NewLinkAsync();
        var token = path[(path.LastIndexOf('/') + 1)..];
        var answer = await new HttpClient { BaseAddress = new Uri(browser.Service.BaseUrl) }.PostAsync($"/survey/{token}/answers",
            Http.Json(BuyerFeedbackApp.Answer().ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, path, []);
        await Assertions.Expect(page.Locator("#message-title")).ToHaveTextAsync("Survey already answered");
        await Assertions.Expect(page.Locator("#message-text")).ToContainTextAsync("Thank you for your time");
        await Assertions.Expect(page.Locator("#survey")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Offline_the_page_says_so_clearly_keeps_the_answers_and_sends_them_once_back_online()
    {
        var (deal, path) = await NewLinkAsync();
        await using var context = await browser.PhoneAsync();
        var page = await OpenAsync(context, path, []);
        await Assertions.Expect(page.Locator("#survey")).ToBeVisibleAsync();
        await page.Locator("label[for=decision-no_purchase]").TapAsync();
        await page.Locator("label[for=reason-budget]").TapAsync();
        await page.Locator("label[for=role-economic_buyer]").TapAsync();

        await context.SetOfflineAsync(true);
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("You're offline");
        await page.Locator("#send").TapAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("You're offline. Your answers are still here");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "survey-offline.png") });
        await Assertions.Expect(page.Locator("#reason-budget")).ToBeCheckedAsync();
        Assert.Empty(await FeedbackAsync(Admin(), deal));

        await context.SetOfflineAsync(false);
        await page.Locator("#send").TapAsync();
        await Assertions.Expect(page.Locator("#message-title")).ToHaveTextAsync("Thank you!");
        var stored = Assert.Single(await FeedbackAsync(Admin(), deal))!;
        Assert.Equal("no_decision", stored["outcome"]!.GetValue<string>());
    }

    private static void AssertClean(Deque.AxeCore.Commons.AxeResult result, string state)
    {
        var violations = result.Violations.Select(v => $"{v.Id} ({v.Impact}): {v.Help} — {string.Join(", ", v.Nodes.Select(n => n.Html).Take(3))}").ToList();
        Assert.True(violations.Count == 0, $"{state}: " + string.Join("\n", violations));
    }
}
