using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Users;

/// <summary>Who am I: the caller's user, role, and which of their keys this request used (by prefix).</summary>
public sealed record GetMe(Caller Caller) : IQuery<Me>;

public sealed record Me(long Id, string Email, string DisplayName, string Role, string? Team, string? Region, string CreatedAt, long KeyId, string KeyPrefix);

public sealed class GetMeHandler(Db db) : IQueryHandler<GetMe, Me>
{
    private const string Sql =
        """
        SELECT u.id AS Id, u.email AS Email, u.display_name AS DisplayName, u.role AS Role, u.team AS Team, u.region AS Region,
               u.created_at AS CreatedAt, k.id AS KeyId, k.prefix AS KeyPrefix
        FROM users u JOIN api_keys k ON k.user_id = u.id
        WHERE u.id = @userId AND k.id = @keyId
        """;

    public async ValueTask<Me> Handle(GetMe query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Me>(new CommandDefinition(Sql, new { userId = query.Caller.UserId, keyId = query.Caller.KeyId }, cancellationToken: cancellationToken))
            ?? throw new NotFoundException("Your user no longer exists.");
    }

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/me", Endpoint)
            .WithTags("Users")
            .WithName("GetMe")
            .WithSummary("The caller: user, role and the key in use (by prefix)")
            .RequireAuthorization(Policies.Authenticated);

    private static async Task<Ok<Me>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetMe(Caller.From(http.User)), cancellationToken));
}
