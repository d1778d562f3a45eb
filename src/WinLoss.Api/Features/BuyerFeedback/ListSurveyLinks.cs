using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>A deal's survey links (never their tokens): when each was sent, until when it is open, whether it was answered.</summary>
public sealed record ListSurveyLinks(string DealId) : IQuery<IReadOnlyList<SurveyLinkStatusDto>>;

/// <param name="State">open | used | expired</param>
public sealed record SurveyLinkStatusDto(long Id, string DealId, string State, string CreatedAt, long CreatedBy, string ExpiresAt, string? UsedAt, long? FeedbackId);

public sealed class ListSurveyLinksValidator : AbstractValidator<ListSurveyLinks>
{
    public ListSurveyLinksValidator() =>
        RuleFor(x => x.DealId).Must(BuyerFeedbackRules.IsDealId).WithMessage("dealId must be 1 to 64 characters on one line.").OverridePropertyName("dealId");
}

public sealed class ListSurveyLinksHandler(Db db) : IQueryHandler<ListSurveyLinks, IReadOnlyList<SurveyLinkStatusDto>>
{
    private const string Sql =
        """
        SELECT l.id AS Id, l.deal_id AS DealId,
               CASE WHEN l.used_at IS NOT NULL THEN 'used' WHEN l.expires_at <= @now THEN 'expired' ELSE 'open' END AS State,
               l.created_at AS CreatedAt, l.created_by AS CreatedBy, l.expires_at AS ExpiresAt, l.used_at AS UsedAt,
               (SELECT f.id FROM buyer_feedback f WHERE f.survey_link_id = l.id) AS FeedbackId
        FROM survey_links l WHERE l.deal_id = @dealId ORDER BY l.id LIMIT 1000
        """;

    public async ValueTask<IReadOnlyList<SurveyLinkStatusDto>> Handle(ListSurveyLinks query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<SurveyLinkStatusDto>(new CommandDefinition(Sql, new { dealId = query.DealId.Trim(), now = Clock.Now() }, cancellationToken: cancellationToken))).ToList();
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", Endpoint)
            .WithName("ListSurveyLinks")
            .WithSummary("List a deal's survey links and whether each was answered")
            .RequireAuthorization(Policies.WriteBuyerFeedback)
            .ProducesValidationProblem();

    private static async Task<Ok<IReadOnlyList<SurveyLinkStatusDto>>> Endpoint(string dealId, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListSurveyLinks(dealId), cancellationToken));
}
