using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>Closes an open survey link now (sent to the wrong person, say): it then answers as expired. Audited.</summary>
public sealed record RevokeSurveyLink(string DealId, long Id, Caller Caller) : ICommand;

public sealed class RevokeSurveyLinkHandler(Writer writer) : ICommandHandler<RevokeSurveyLink>
{
    private const string FindSql = "SELECT deal_id AS DealId, used_at AS UsedAt, expires_at AS ExpiresAt FROM survey_links WHERE id = @id";
    private const string CloseSql = "UPDATE survey_links SET expires_at = @now WHERE id = @id AND used_at IS NULL AND expires_at > @now";

    public async ValueTask<Unit> Handle(RevokeSurveyLink command, CancellationToken cancellationToken)
    {
        var dealId = command.DealId.Trim();
        await writer.ExecuteAsync((c, t) =>
        {
            var row = c.QuerySingleOrDefault<(string DealId, string? UsedAt, string ExpiresAt)?>(FindSql, new { id = command.Id }, t);
            if (row is null || row.Value.DealId != dealId) throw new NotFoundException($"Survey link {command.Id} not found for this deal.");
            if (row.Value.UsedAt is not null) throw new ConflictException("This survey link has already been answered; delete the buyer feedback instead.");
            if (c.Execute(CloseSql, new { id = command.Id, now = Clock.Now() }, t) == 0) return; // already closed
            Audit.Record(c, t, command.Caller, "survey_link.revoked", $"deal/{dealId}/survey-links/{command.Id}", null);
        }, cancellationToken);
        return Unit.Value;
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapDelete("/{id:long}", Endpoint)
            .WithName("RevokeSurveyLink")
            .WithSummary("Close an open survey link now")
            .RequireAuthorization(Policies.WriteBuyerFeedback)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<NoContent> Endpoint(string dealId, long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        await sender.Send(new RevokeSurveyLink(dealId, id, Caller.From(http.User)), cancellationToken);
        return TypedResults.NoContent();
    }
}
