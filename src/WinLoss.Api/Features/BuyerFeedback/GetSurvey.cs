using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// What the survey page shows for a token (GET /survey/{token}/questions, public): whether it can be answered, and
/// the choices of its questions. Never the deal, the account or anyone's name.
/// </summary>
public sealed record GetSurvey(string Token) : IQuery<SurveyDto>;

public sealed record SurveyDto(string ExpiresAt, IReadOnlyList<SurveyChoice> Decisions, IReadOnlyList<SurveyChoice> Reasons, IReadOnlyList<SurveyChoice> Roles, int MaxReasons);

public sealed record SurveyChoice(string Code, string Label);

public sealed class GetSurveyHandler(Db db) : IQueryHandler<GetSurvey, SurveyDto>
{
    private const string OpenSql = "SELECT expires_at FROM survey_links WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now";
    private const string ReasonsSql = "SELECT code AS Code, label AS Label FROM reason_categories ORDER BY created_at, code";

    // The buyer's words for the seeded reasons (the taxonomy's labels are written for analysts).
    private static readonly Dictionary<string, string> BuyerWording = new(StringComparer.Ordinal)
    {
        ["price"] = "Price or total cost",
        ["product_gap"] = "Missing features or capabilities",
        ["integration"] = "How well it fits with our other systems",
        ["security_compliance"] = "Security or compliance requirements",
        ["implementation_risk"] = "Risk or effort of implementation",
        ["vendor_viability"] = "Confidence in the vendor's future",
        ["relationship"] = "Our relationship with the vendor's team",
        ["timing"] = "Timing",
        ["budget"] = "Budget availability",
        ["status_quo"] = "Decided to keep what we have",
        ["support"] = "Support and service",
        ["other"] = "Something else",
    };

    private static readonly List<string> Order = [.. BuyerWording.Keys];

    private static readonly SurveyChoice[] Decisions =
    [
        new("chose_us", "We chose you"),
        new("chose_other", "We chose another vendor"),
        new("no_purchase", "We decided not to buy for now"),
    ];

    private static readonly SurveyChoice[] RoleChoices =
    [
        new("economic_buyer", "I approved the budget"),
        new("executive_sponsor", "Executive sponsor"),
        new("champion", "I led the evaluation"),
        new("technical_evaluator", "Technical evaluator"),
        new("end_user", "I would use the product"),
        new("procurement", "Procurement or purchasing"),
        new("other", "Other"),
    ];

    public async ValueTask<SurveyDto> Handle(GetSurvey query, CancellationToken cancellationToken)
    {
        if (!SurveyTokens.IsWellFormed(query.Token)) throw Survey.Unknown();
        var hash = SurveyTokens.Hash(query.Token);
        var now = Clock.Now();
        await using var connection = await db.OpenAsync(cancellationToken);
        var expiresAt = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(OpenSql, new { hash, now }, cancellationToken: cancellationToken))
            ?? throw Survey.NotOpen(connection, null, hash, now);
        var reasons = (await connection.QueryAsync<SurveyChoice>(new CommandDefinition(ReasonsSql, cancellationToken: cancellationToken)))
            .OrderBy(r => r.Code == "other" ? 2 : BuyerWording.ContainsKey(r.Code) ? 0 : 1)
            .ThenBy(r => Order.IndexOf(r.Code))
            .Select(r => BuyerWording.TryGetValue(r.Code, out var wording) ? r with { Label = wording } : r).ToList();
        return new SurveyDto(expiresAt, Decisions, reasons, RoleChoices, AnswerSurveyValidator.MaxReasons);
    }

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/survey/{token}/questions", Endpoint)
            .WithName("GetSurvey")
            .WithTags("Survey")
            .WithSummary("The questions of a buyer survey, if its link is still open (public)")
            .AllowAnonymous()
            .RequireRateLimiting(Survey.RateLimitPolicy)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static async Task<Ok<SurveyDto>> Endpoint(string token, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await sender.Send(new GetSurvey(token), cancellationToken));
    }
}
