using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Data.Common;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Features.Taxonomy;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// The buyer's answers (POST /survey/{token}/answers, public). Six questions: what they decided, which vendor they
/// chose, up to three reasons ordered by importance, their role, and a comment. Nothing in the body names a deal
/// or any stored row: the token alone decides which deal the answer belongs to.
/// </summary>
public sealed record SurveyAnswerInput
{
    public string? Decision { get; init; }
    public string? VendorChosen { get; init; }
    public List<string?>? Reasons { get; init; }
    public string? Role { get; init; }
    public string? Comment { get; init; }
}

public sealed record SurveyAnswered(string Message);

public sealed record AnswerSurvey(string Token, SurveyAnswerInput Answer) : ICommand<SurveyAnswered>;

public sealed class AnswerSurveyValidator : AbstractValidator<AnswerSurvey>
{
    public const int MaxReasons = 3;
    public const int MaxComment = 1000;

    public AnswerSurveyValidator(TaxonomyCache taxonomy)
    {
        RuleFor(x => x.Answer.Decision).Must(v => v is not null && Survey.Decisions.ContainsKey(v))
            .WithMessage("Please tell us what you decided.").OverridePropertyName("decision");
        RuleFor(x => x.Answer.VendorChosen).Must(v => v is null || v.Trim().Length == 0 || Competitors.CompetitorStore.NameProblem(v, "vendorChosen") is null)
            .WithMessage("The vendor's name must be at most 100 characters on one line.").OverridePropertyName("vendorChosen");
        RuleFor(x => x.Answer.Role).Must(v => v is not null && BuyerFeedbackRules.IntervieweeRoles.Contains(v))
            .WithMessage("Please choose the role closest to yours.").OverridePropertyName("role");
        RuleFor(x => x.Answer.Comment).Must(v => v is null || (v.Length <= MaxComment && ReportRules.IsCleanText(v)))
            .WithMessage($"Please keep the comment under {MaxComment} characters.").OverridePropertyName("comment");
        RuleFor(x => x.Answer.Reasons).Custom((reasons, context) =>
        {
            if (reasons is null || reasons.Count == 0) { context.AddFailure("reasons", "Please pick at least one reason."); return; }
            if (reasons.Count > MaxReasons) { context.AddFailure("reasons", $"Please pick at most {MaxReasons} reasons."); return; }
            var categories = taxonomy.Current.ReasonCategories;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < reasons.Count; i++)
                if (reasons[i] is not { } r || !categories.Contains(r) || !seen.Add(r))
                    context.AddFailure($"reasons[{i}]", "Please pick reasons from the list, each once.");
        });
    }
}

public sealed class AnswerSurveyHandler(Writer writer) : ICommandHandler<AnswerSurvey, SurveyAnswered>
{
    // Claiming the link and storing the answer happen in one transaction: a link is used exactly once.
    private const string ClaimSql =
        """
        UPDATE survey_links SET used_at = @now
        WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now
        RETURNING id AS Id, deal_id AS DealId
        """;

    public async ValueTask<SurveyAnswered> Handle(AnswerSurvey command, CancellationToken cancellationToken)
    {
        if (!SurveyTokens.IsWellFormed(command.Token)) throw Survey.Unknown();
        var hash = SurveyTokens.Hash(command.Token);
        var a = command.Answer;
        var vendor = ReportRules.Clean(a.VendorChosen);
        var feedback = new BuyerFeedbackInput
        {
            IntervieweeRole = a.Role,
            InterviewedOn = Clock.TodayUtc().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Outcome = Survey.Decisions[a.Decision!],
            Reasons = a.Reasons!.Select(r => new BuyerReasonInput { Category = r }).ToList<BuyerReasonInput?>(),
            CompetitorChosen = a.Decision == "chose_other" ? vendor : null,
            Quotes = ReportRules.Clean(a.Comment) is { } comment ? [comment] : null,
        };
        await writer.ExecuteAsync((c, t) =>
        {
            var now = Clock.Now();
            var link = c.QuerySingleOrDefault<Link>(ClaimSql, new { hash, now }, t) ?? throw Survey.NotOpen(c, t, hash, now);
            var id = BuyerFeedbackStore.Insert(c, t, link.DealId, "survey", feedback, link.Id, createdBy: null, now);
            BuyerFeedbackEvents.Changed(c, t, id);
            Audit.Record(c, t, null, "survey.answered", $"deal/{link.DealId}/buyer-feedback/{id}", new { surveyLinkId = link.Id });
        }, cancellationToken);
        return new SurveyAnswered("Thank you! Your answers were received.");
    }

    private sealed class Link
    {
        public long Id { get; init; }
        public string DealId { get; init; } = "";
    }

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/survey/{token}/answers", Endpoint)
            .WithName("AnswerSurvey")
            .WithTags("Survey")
            .WithSummary("Answer a buyer survey (public: the token in the link is the only credential)")
            .Accepts<SurveyAnswerInput>("application/json")
            .AllowAnonymous()
            .RequireRateLimiting(Survey.RateLimitPolicy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static async Task<Created<SurveyAnswered>> Endpoint(string token, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (input, _) = await JsonBody.ReadAsync<SurveyAnswerInput>(http.Request, 8 * 1024, cancellationToken);
        return TypedResults.Created((string?)null, await sender.Send(new AnswerSurvey(token, input), cancellationToken));
    }
}

/// <summary>What the public survey shares: its questions' choices, the kind answers for a link that is not open, the rate limit.</summary>
public static class Survey
{
    public const string RateLimitPolicy = "survey";

    /// <summary>The buyer's decision → the outcome as the buyer sees it.</summary>
    public static readonly IReadOnlyDictionary<string, string> Decisions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["chose_us"] = "won",
        ["chose_other"] = "lost",
        ["no_purchase"] = "no_decision",
    };

    public static ProblemException Unknown() => new(StatusCodes.Status404NotFound, "Survey not found",
        "We couldn't find this survey. Please check that the link is complete, exactly as you received it.",
        new Dictionary<string, object?> { ["state"] = "unknown" });

    public static ProblemException Used() => new(StatusCodes.Status410Gone, "Survey already answered",
        "This survey has already been answered. Thank you for your time; there is nothing more to do.",
        new Dictionary<string, object?> { ["state"] = "used" });

    public static ProblemException Expired() => new(StatusCodes.Status410Gone, "Survey closed",
        "This survey link has expired. Thank you all the same; if you would still like to share your view, reply to the person who sent it.",
        new Dictionary<string, object?> { ["state"] = "expired" });

    private const string StateSql = "SELECT used_at AS UsedAt, expires_at AS ExpiresAt FROM survey_links WHERE token_hash = @hash";

    /// <summary>Why a link cannot be answered now (unknown, used or expired); says nothing about the deal.</summary>
    public static ProblemException NotOpen(DbConnection c, DbTransaction? t, byte[] hash, string now)
    {
        var row = c.QuerySingleOrDefault<(string? UsedAt, string ExpiresAt)?>(StateSql, new { hash }, t);
        if (row is null) return Unknown();
        if (row.Value.UsedAt is not null) return Used();
        return string.CompareOrdinal(row.Value.ExpiresAt, now) <= 0 ? Expired() : Unknown();
    }
}
