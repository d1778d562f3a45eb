using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Users;

/// <summary>A user's keys, newest first: prefix, created, last used, revoked. Never the key itself.</summary>
public sealed record ListKeys(long UserId) : IQuery<IReadOnlyList<KeyDto>>;

public sealed class ListKeysHandler(Db db) : IQueryHandler<ListKeys, IReadOnlyList<KeyDto>>
{
    private const string UserExistsSql = "SELECT COUNT(*) FROM users WHERE id = @id";
    private const string Sql =
        """
        SELECT id AS Id, user_id AS UserId, prefix AS Prefix, created_at AS CreatedAt, last_used_at AS LastUsedAt, revoked_at AS RevokedAt
        FROM api_keys
        WHERE user_id = @id
        ORDER BY id DESC
        """;

    public async ValueTask<IReadOnlyList<KeyDto>> Handle(ListKeys query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(UserExistsSql, new { id = query.UserId }, cancellationToken: cancellationToken)) == 0)
            throw new NotFoundException($"User {query.UserId} not found.");
        return (await connection.QueryAsync<KeyDto>(new CommandDefinition(Sql, new { id = query.UserId }, cancellationToken: cancellationToken))).ToList();
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}/keys", Endpoint)
            .WithName("ListKeys")
            .WithSummary("List a user's API keys (prefix and dates only; never the key)")
            .RequireAuthorization(Policies.Admin)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<IReadOnlyList<KeyDto>>> Endpoint(long id, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListKeys(id), cancellationToken));
}
