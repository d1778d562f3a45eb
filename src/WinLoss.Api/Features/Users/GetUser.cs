using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Users;

public sealed record GetUser(long Id) : IQuery<UserDto>;

public sealed class GetUserHandler(Db db) : IQueryHandler<GetUser, UserDto>
{
    public async ValueTask<UserDto> Handle(GetUser query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return UserStore.Load(connection, query.Id) ?? throw new NotFoundException($"User {query.Id} not found.");
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}", Endpoint)
            .WithName("GetUser")
            .WithSummary("Read one user")
            .RequireAuthorization(Policies.Admin)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<UserDto>> Endpoint(long id, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetUser(id), cancellationToken));
}
