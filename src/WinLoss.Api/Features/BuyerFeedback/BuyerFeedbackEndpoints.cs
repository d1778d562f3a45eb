using System.Globalization;
using System.Threading.RateLimiting;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// The buyer's side: buyer feedback per deal and survey links under /api/v1/deals/{dealId}, the public
/// survey (page and its two calls under /survey/{token}), and the stricter per-client rate limit of that public part.
/// </summary>
public static class BuyerFeedbackEndpoints
{
    /// <summary>Survey requests per minute per client IP (WINLOSS_SURVEY_RATE_LIMIT): a buyer needs two or three.</summary>
    public const int DefaultSurveyPerMinute = 20;

    public static IServiceCollection AddBuyerFeedback(this IServiceCollection services, IConfiguration configuration)
    {
        var value = configuration["WINLOSS_SURVEY_RATE_LIMIT"];
        var perMinute = string.IsNullOrWhiteSpace(value) ? DefaultSurveyPerMinute
            : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
            : throw new InvalidOperationException("WINLOSS_SURVEY_RATE_LIMIT must be a positive whole number of requests per minute.");
        services.AddSingleton<Projection, BuyerFeedbackProjection>();
        // Besides the global limit: anonymous guessing of survey tokens is throttled per client address.
        services.AddRateLimiter(o => o.AddPolicy(Survey.RateLimitPolicy, http =>
            RateLimitPartition.GetFixedWindowLimiter("survey:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown"), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = perMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            })));
        return services;
    }

    public static void MapBuyerFeedbackEndpoints(this WebApplication app)
    {
        var feedback = app.MapGroup("/api/v1/deals/{dealId}/buyer-feedback").WithTags("Buyer feedback");
        RecordBuyerFeedbackHandler.Map(feedback);
        ListBuyerFeedbackHandler.Map(feedback);
        GetBuyerFeedbackHandler.Map(feedback);
        DeleteBuyerFeedbackHandler.Map(feedback);
        var links = app.MapGroup("/api/v1/deals/{dealId}/survey-links").WithTags("Buyer feedback");
        CreateSurveyLinkHandler.Map(links);
        ListSurveyLinksHandler.Map(links);
        RevokeSurveyLinkHandler.Map(links);
        GetCalibrationHandler.Map(app);
        ImportBuyerFeedbackHandler.Map(app.MapGroup("/api/v1/imports"));
        ExportBuyerFeedbackHandler.Map(app.MapGroup("/api/v1/exports").WithTags("Exports"));
        GetSurveyHandler.Map(app);
        AnswerSurveyHandler.Map(app);
        SurveyPage.Map(app);
    }
}

/// <summary>
/// GET /survey/{token}: the public, phone-first survey page (wwwroot/survey/index.html; its assets are
/// under /survey/assets/, a path this route does not match). The page is the same for every token — it holds no data, no key —
/// and asks /survey/{token}/questions whether the link is open. Never cached: the URL carries a secret.
/// </summary>
public static class SurveyPage
{
    private static readonly string[] GetHead = [HttpMethods.Get, HttpMethods.Head];

    public static void Map(WebApplication app)
    {
        var files = app.Environment.WebRootFileProvider;
        app.MapMethods("/survey/{token}", GetHead, (HttpContext http) =>
        {
            var info = files.GetFileInfo("survey/index.html");
            if (!info.Exists || info.PhysicalPath is null) return Results.NotFound();
            http.Response.Headers.CacheControl = "no-store";
            return Results.File(info.PhysicalPath, "text/html; charset=utf-8");
        }).ExcludeFromDescription().AllowAnonymous();
    }
}
