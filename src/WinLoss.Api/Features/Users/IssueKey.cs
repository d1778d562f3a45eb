using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Users;

/// <summary>Issue another API key for a user (key rotation, a second device). The key is shown once.</summary>
public sealed record IssueKey(long UserId, Caller Caller) : ICommand<IssuedKey>;

public sealed class IssueKeyHandler(Writer writer) : ICommandHandler<IssueKey, IssuedKey>
{
    private const string UserExistsSql = "SELECT COUNT(*) FROM users WHERE id = @id";

    public async ValueTask<IssuedKey> Handle(IssueKey command, CancellationToken cancellationToken) =>
        await writer.ExecuteAsync((c, t) =>
        {
            if (c.ExecuteScalar<long>(UserExistsSql, new { id = command.UserId }, t) == 0)
                throw new NotFoundException($"User {command.UserId} not found.");
            return UserStore.IssueKey(c, t, command.UserId, command.Caller);
        }, cancellationToken);

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/{id:long}/keys", Endpoint)
            .WithName("IssueKey")
            .WithSummary("Issue a new API key for a user (shown once)")
            .RequireAuthorization(Policies.Admin)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Created<IssuedKey>> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var key = await sender.Send(new IssueKey(id, Caller.From(http.User)), cancellationToken);
        return TypedResults.Created($"/api/v1/users/{id}/keys", key);
    }
}
