using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Users;

/// <summary>Fields to change; a missing or null field is left as it is; "" clears team or region.</summary>
public sealed record UpdateUserInput
{
    public string? DisplayName { get; init; }
    public string? Role { get; init; }
    public string? Team { get; init; }
    public string? Region { get; init; }
}

/// <summary>
/// Change a user's name, role, team or region. A role change takes effect with the user's next request.
/// The last admin with a working key cannot be demoted (409).
/// </summary>
public sealed record UpdateUser(long Id, UpdateUserInput Changes, Caller Caller) : ICommand<UserDto>;

public sealed class UpdateUserValidator : AbstractValidator<UpdateUser>
{
    public UpdateUserValidator()
    {
        RuleFor(x => x.Changes.DisplayName)
            .Must(v => v is null || (v.Trim().Length is > 0 and <= UserRules.MaxText && UserRules.IsSingleLine(v))).WithMessage("displayName must be one line of 1 to 100 characters.")
            .OverridePropertyName("displayName");
        RuleFor(x => x.Changes.Role)
            .Must(v => v is null || Roles.All.Contains(v)).WithMessage("role must be one of: rep, marketing, analyst, admin.")
            .OverridePropertyName("role");
        RuleFor(x => x.Changes.Team)
            .Must(v => v is null || (v.Trim().Length <= UserRules.MaxText && UserRules.IsSingleLine(v))).WithMessage("team must be one line of at most 100 characters.")
            .OverridePropertyName("team");
        RuleFor(x => x.Changes.Region)
            .Must(v => v is null || (v.Trim().Length <= UserRules.MaxText && UserRules.IsSingleLine(v))).WithMessage("region must be one line of at most 100 characters.")
            .OverridePropertyName("region");
    }
}

public sealed class UpdateUserHandler(Writer writer, KeyCache cache) : ICommandHandler<UpdateUser, UserDto>
{
    private const string OtherWorkingAdminsSql =
        """
        SELECT COUNT(*) FROM users u
        WHERE u.role = 'admin' AND u.id <> @id
          AND EXISTS (SELECT 1 FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL)
        """;
    private const string UpdateSql =
        """
        UPDATE users SET display_name = @displayName, role = @role, team = @team, region = @region
        WHERE id = @id
        """;

    public async ValueTask<UserDto> Handle(UpdateUser command, CancellationToken cancellationToken)
    {
        var changes = command.Changes;
        var (user, roleChanged) = await writer.ExecuteAsync((c, t) =>
        {
            var before = UserStore.Load(c, command.Id, t) ?? throw new NotFoundException($"User {command.Id} not found.");
            var role = changes.Role ?? before.Role;
            if (before.Role == Roles.Admin && role != Roles.Admin && c.ExecuteScalar<long>(OtherWorkingAdminsSql, new { id = command.Id }, t) == 0)
                throw new ConflictException("This is the last admin with a working key; make another admin first.");
            var after = before with
            {
                DisplayName = changes.DisplayName?.Trim() ?? before.DisplayName,
                Role = role,
                Team = changes.Team is null ? before.Team : Blank(changes.Team),
                Region = changes.Region is null ? before.Region : Blank(changes.Region),
            };
            if (after == before) return (before, false);
            c.Execute(UpdateSql, new { id = command.Id, displayName = after.DisplayName, role = after.Role, team = after.Team, region = after.Region }, t);
            var changed = new Dictionary<string, object?>();
            if (role != before.Role) changed["role"] = new { from = before.Role, to = role };
            if (after.DisplayName != before.DisplayName) changed["displayName"] = after.DisplayName;
            if (after.Team != before.Team) changed["team"] = after.Team;
            if (after.Region != before.Region) changed["region"] = after.Region;
            Audit.Record(c, t, command.Caller, "user.updated", $"user/{command.Id}", changed);
            ChangeLog.Record(c, t, ChangeLog.User, command.Id);
            return (after, role != before.Role);
        }, cancellationToken);
        if (roleChanged) cache.Clear();
        return user;
    }

    private static string? Blank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public static void Map(RouteGroupBuilder group) =>
        group.MapPatch("/{id:long}", Endpoint)
            .WithName("UpdateUser")
            .WithSummary("Change a user's display name, role, team or region")
            .Accepts<UpdateUserInput>("application/json")
            .RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<Ok<UserDto>> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (input, _) = await JsonBody.ReadAsync<UpdateUserInput>(http.Request, cancellationToken: cancellationToken);
        return TypedResults.Ok(await sender.Send(new UpdateUser(id, input, Caller.From(http.User)), cancellationToken));
    }
}
