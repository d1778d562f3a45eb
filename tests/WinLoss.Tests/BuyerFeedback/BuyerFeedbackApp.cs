using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.BuyerFeedback;

/// <summary>
/// The real service on a fresh database (a <see cref="TestApp"/>) with the survey's per-client rate limit raised,
/// since every in-process test client shares one client address. Rate-limit tests make their own host.
/// </summary>
public sealed class BuyerFeedbackApp : IAsyncLifetime
{
    public TestApp App { get; } = new();
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await App.InitializeAsync();
        Factory = App.WithWebHostBuilder(b => b.UseSetting("WINLOSS_SURVEY_RATE_LIMIT", "100000"));
        _ = Factory.Server;
    }

    public HttpClient Client(string? key)
    {
        var client = Factory.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await App.DisposeAsync();
    }

    public static JsonObject Interview(Action<JsonObject>? with = null)
    {
        var body = new JsonObject
        {
            ["intervieweeRole"] = "economic_buyer",
            ["interviewedOn"] = "2026-10-20",
            ["outcome"] = "lost",
            ["reasons"] = new JsonArray(
                new JsonObject { ["category"] = "product_gap", ["detail"] = "no SSO on the mid tier" },
                new JsonObject { ["category"] = "price" }),
            ["competitorsConsidered"] = new JsonArray("Acme Corp", "Globex"),
            ["competitorChosen"] = "Acme Corp",
            ["objections"] = new JsonArray(new JsonObject { ["category"] = "missing_feature", ["text"] = "SSO" }),
            ["quotes"] = new JsonArray("Price was fine; we could not roll it out without SSO."),
            ["notes"] = "30-minute call",
        };
        with?.Invoke(body);
        return body;
    }

    public static JsonObject Answer(Action<JsonObject>? with = null)
    {
        var body = new JsonObject
        {
            ["decision"] = "chose_other",
            ["vendorChosen"] = "Acme Corp",
            ["reasons"] = new JsonArray("integration", "price"),
            ["role"] = "technical_evaluator",
            ["comment"] = "Their connector worked on day one.",
        };
        with?.Invoke(body);
        return body;
    }

    /// <summary>Creates a survey link for the deal as the given analyst; returns the token.</summary>
    public async Task<string> NewLinkAsync(string analystKey, string dealId, int? days = null)
    {
        var response = await Client(analystKey).PostAsync($"/api/v1/deals/{Uri.EscapeDataString(dealId)}/survey-links",
            Http.Json(days is null ? "{}" : $"{{\"expiresInDays\":{days}}}"));
        response.EnsureSuccessStatusCode();
        var url = (await response.Content.ReadFromJsonAsync<JsonObject>())!["url"]!.GetValue<string>();
        return url[(url.LastIndexOf('/') + 1)..];
    }
}
