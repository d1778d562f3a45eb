using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>One buyer feedback of a deal (404 when the id belongs to another deal). A deleted one is returned with deletedAt set.</summary>
public sealed record GetBuyerFeedback(string DealId, long Id) : IQuery<BuyerFeedbackDto>;

public sealed class GetBuyerFeedbackHandler(Db db) : IQueryHandler<GetBuyerFeedback, BuyerFeedbackDto>
{
    public async ValueTask<BuyerFeedbackDto> Handle(GetBuyerFeedback query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var found = await BuyerFeedbackStore.LoadAsync(connection, [query.Id]);
        if (found.Count == 0 || found[0].DealId != query.DealId.Trim()) throw new NotFoundException($"Buyer feedback {query.Id} not found for this deal.");
        return found[0];
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}", Endpoint)
            .WithName("GetBuyerFeedback")
            .WithSummary("Read one buyer feedback of a deal")
            .RequireAuthorization(Policies.ReadBuyerFeedback)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<BuyerFeedbackDto>> Endpoint(string dealId, long id, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetBuyerFeedback(dealId, id), cancellationToken));
}
