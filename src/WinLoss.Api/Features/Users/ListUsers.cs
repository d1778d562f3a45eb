using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Users;

/// <summary>Users in creation order, optionally of one role, with cursor pagination.</summary>
public sealed record ListUsers(string? Role, int? Limit, string? Cursor) : IQuery<UserPage>;

public sealed record UserPage(IReadOnlyList<UserDto> Items, string? NextCursor);

public sealed class ListUsersValidator : AbstractValidator<ListUsers>
{
    public ListUsersValidator()
    {
        RuleFor(x => x.Role).Must(v => v is null || Roles.All.Contains(v)).WithMessage("role must be one of: rep, marketing, analyst, admin.").OverridePropertyName("role");
        RuleFor(x => x.Limit).InclusiveBetween(1, 500).WithMessage("limit must be from 1 to 500.").OverridePropertyName("limit");
        RuleFor(x => x.Cursor).Must(v => v is null || OpaqueCursor.Decode(v, "u") is not null).WithMessage("cursor is not valid; use nextCursor from the previous page.").OverridePropertyName("cursor");
    }
}

public sealed class ListUsersHandler(Db db) : IQueryHandler<ListUsers, UserPage>
{
    private const string Sql =
        UserStore.SelectUser +
        """

        WHERE (@role IS NULL OR u.role = @role) AND u.id > @after
        ORDER BY u.id
        LIMIT @take
        """;

    public async ValueTask<UserPage> Handle(ListUsers query, CancellationToken cancellationToken)
    {
        var limit = query.Limit ?? 100;
        var after = query.Cursor is null ? 0 : OpaqueCursor.Decode(query.Cursor, "u")!.Value;
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<UserDto>(new CommandDefinition(Sql, new { role = query.Role, after, take = limit + 1 }, cancellationToken: cancellationToken))).ToList();
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        return new UserPage(rows, more ? OpaqueCursor.Encode("u", rows[^1].Id) : null);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", Endpoint)
            .WithName("ListUsers")
            .WithSummary("List users (with their number of active keys)")
            .RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem();

    private static async Task<Ok<UserPage>> Endpoint(string? role, string? limit, string? cursor, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListUsers(role, QueryInt.Int(limit, "limit"), cursor), cancellationToken));
}
