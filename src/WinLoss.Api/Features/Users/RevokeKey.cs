using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Users;

/// <summary>
/// Revoke a key: it stops working with the next request (the key cache is cleared after the commit).
/// Revoking an already revoked key changes nothing. The last working admin key cannot be revoked
/// (409), so the service can never be locked out of its own administration.
/// </summary>
public sealed record RevokeKey(long KeyId, Caller Caller) : ICommand;

public sealed class RevokeKeyHandler(Writer writer, KeyCache cache) : ICommandHandler<RevokeKey>
{
    private const string FindSql =
        """
        SELECT k.user_id AS UserId, k.prefix AS Prefix, k.revoked_at AS RevokedAt, u.role AS Role
        FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.id = @id
        """;
    private const string OtherAdminKeysSql =
        """
        SELECT COUNT(*) FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE u.role = 'admin' AND k.revoked_at IS NULL AND k.id <> @id
        """;
    private const string RevokeSql = "UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL";

    public async ValueTask<Unit> Handle(RevokeKey command, CancellationToken cancellationToken)
    {
        await writer.ExecuteAsync((c, t) =>
        {
            var key = c.QuerySingleOrDefault<KeyRow>(FindSql, new { id = command.KeyId }, t)
                ?? throw new NotFoundException($"Key {command.KeyId} not found.");
            if (key.RevokedAt is not null) return;
            if (key.Role == Roles.Admin && c.ExecuteScalar<long>(OtherAdminKeysSql, new { id = command.KeyId }, t) == 0)
                throw new ConflictException("This is the last working admin key; issue another admin key before revoking it.");
            c.Execute(RevokeSql, new { id = command.KeyId, now = Clock.Now() }, t);
            Audit.Record(c, t, command.Caller, "key.revoked", $"user/{key.UserId}", new { keyId = command.KeyId, prefix = key.Prefix });
        }, cancellationToken);
        cache.Clear();
        return Unit.Value;
    }

    private sealed record KeyRow(long UserId, string Prefix, string? RevokedAt, string Role);

    public static void Map(RouteGroupBuilder group) =>
        group.MapDelete("/{keyId:long}", Endpoint)
            .WithName("RevokeKey")
            .WithSummary("Revoke an API key (effective immediately)")
            .RequireAuthorization(Policies.Admin)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<NoContent> Endpoint(long keyId, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        await sender.Send(new RevokeKey(keyId, Caller.From(http.User)), cancellationToken);
        return TypedResults.NoContent();
    }
}
