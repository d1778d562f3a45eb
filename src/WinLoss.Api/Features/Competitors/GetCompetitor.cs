using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// One competitor with its aliases and report count. A merged competitor is returned as it is (200) with
/// <c>mergedIntoId</c> set (no redirect), so old ids keep resolving and a client can follow the link.
/// </summary>
public sealed record GetCompetitor(long Id) : IQuery<CompetitorDto>;

public sealed class GetCompetitorHandler(Db db) : IQueryHandler<GetCompetitor, CompetitorDto>
{
    public async ValueTask<CompetitorDto> Handle(GetCompetitor query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return CompetitorStore.Load(connection, query.Id) ?? throw new NotFoundException($"Competitor {query.Id} not found.");
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}", Endpoint)
            .WithName("GetCompetitor")
            .WithSummary("Read one competitor (a merged one is returned with mergedIntoId)")
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<CompetitorDto>> Endpoint(long id, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetCompetitor(id), cancellationToken));
}
