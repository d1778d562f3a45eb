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

public sealed record CreateUserInput
{
    public string? Email { get; init; }
    public string? DisplayName { get; init; }
    public string? Role { get; init; }
    public string? Team { get; init; }
    public string? Region { get; init; }
}

/// <summary>Create a user and issue their first API key (shown once, in this response only).</summary>
public sealed record CreateUser(CreateUserInput User, Caller Caller) : ICommand<CreatedUser>;

public sealed record CreatedUser(UserDto User, IssuedKey Key);

public sealed class CreateUserValidator : AbstractValidator<CreateUser>
{
    public CreateUserValidator()
    {
        RuleFor(x => x.User.Email).Cascade(CascadeMode.Stop)
            .Must(v => !string.IsNullOrWhiteSpace(v)).WithMessage("email is required.")
            .Must(v => UserRules.IsEmail(v!.Trim())).WithMessage("email must be an e-mail address like name@example.com (at most 254 characters).")
            .OverridePropertyName("email");
        RuleFor(x => x.User.DisplayName).Cascade(CascadeMode.Stop)
            .Must(v => !string.IsNullOrWhiteSpace(v)).WithMessage("displayName is required.")
            .Must(v => v!.Trim().Length <= UserRules.MaxText && UserRules.IsSingleLine(v)).WithMessage("displayName must be one line of at most 100 characters.")
            .OverridePropertyName("displayName");
        RuleFor(x => x.User.Role).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("role is required: rep, marketing, analyst or admin.")
            .Must(v => Roles.All.Contains(v)).WithMessage("role must be one of: rep, marketing, analyst, admin.")
            .OverridePropertyName("role");
        RuleFor(x => x.User.Team)
            .Must(v => v is null || (v.Trim().Length <= UserRules.MaxText && UserRules.IsSingleLine(v))).WithMessage("team must be one line of at most 100 characters.")
            .OverridePropertyName("team");
        RuleFor(x => x.User.Region)
            .Must(v => v is null || (v.Trim().Length <= UserRules.MaxText && UserRules.IsSingleLine(v))).WithMessage("region must be one line of at most 100 characters.")
            .OverridePropertyName("region");
    }
}

public sealed class CreateUserHandler(Writer writer) : ICommandHandler<CreateUser, CreatedUser>
{
    private const string EmailTakenSql = "SELECT id FROM users WHERE email = @email COLLATE NOCASE";
    private const string InsertSql =
        """
        INSERT INTO users (email, display_name, role, team, region, created_at)
        VALUES (@email, @displayName, @role, @team, @region, @now)
        RETURNING id
        """;

    public async ValueTask<CreatedUser> Handle(CreateUser command, CancellationToken cancellationToken)
    {
        var input = command.User;
        var email = input.Email!.Trim();
        return await writer.ExecuteAsync((c, t) =>
        {
            // Check and insert run in the single writer, so no other insert can slip in between.
            var existing = c.ExecuteScalar<long?>(EmailTakenSql, new { email }, t);
            if (existing is not null)
                throw new ConflictException($"A user with the e-mail {email} already exists.", new Dictionary<string, object?> { ["existing"] = $"/api/v1/users/{existing}" });
            var id = c.ExecuteScalar<long>(InsertSql, new
            {
                email, displayName = input.DisplayName!.Trim(), role = input.Role, team = Blank(input.Team), region = Blank(input.Region), now = Clock.Now(),
            }, t);
            Audit.Record(c, t, command.Caller, "user.created", $"user/{id}", new { email, role = input.Role });
            ChangeLog.Record(c, t, ChangeLog.User, id);
            var key = UserStore.IssueKey(c, t, id, command.Caller);
            return new CreatedUser(UserStore.Load(c, id, t)!, key);
        }, cancellationToken);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/", Endpoint)
            .WithName("CreateUser")
            .WithSummary("Create a user with a role; returns the user and its first API key (shown once)")
            .Accepts<CreateUserInput>("application/json")
            .RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<Created<CreatedUser>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (input, _) = await JsonBody.ReadAsync<CreateUserInput>(http.Request, cancellationToken: cancellationToken);
        var created = await sender.Send(new CreateUser(input, Caller.From(http.User)), cancellationToken);
        return TypedResults.Created($"/api/v1/users/{created.User.Id}", created);
    }
}
