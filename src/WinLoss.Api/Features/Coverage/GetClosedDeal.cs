using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Coverage;

/// <summary>One closed deal by its dealId (normalised as when it was recorded): what the CRM said and whether its report is in.</summary>
public sealed record GetClosedDeal(string DealId) : IQuery<ClosedDealDto>;

public sealed class GetClosedDealHandler(Db db) : IQueryHandler<GetClosedDeal, ClosedDealDto>
{
    public async ValueTask<ClosedDealDto> Handle(GetClosedDeal query, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var row = await c.QuerySingleOrDefaultAsync<ClosedDealStore.Stored>(new CommandDefinition(
            ClosedDealStore.SelectDtoSql + " WHERE d.deal_id = @dealId", new { dealId = DealIds.Normalize(query.DealId) }, cancellationToken: cancellationToken));
        return row is null ? throw new NotFoundException($"No closed deal '{query.DealId}'.") : ClosedDealStore.ToDto(row);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/closed/{dealId}", Endpoint)
            .WithName("GetClosedDeal")
            .WithSummary("A closed deal known from the CRM, and whether its rep's report is in")
            .RequireAuthorization(Policies.ImportCrm)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<ClosedDealDto>> Endpoint(string dealId, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetClosedDeal(dealId), cancellationToken));
}
