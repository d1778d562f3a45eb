namespace WinLoss.Api.Features.Users;

public static class UserEndpoints
{
    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/users").WithTags("Users");
        CreateUserHandler.Map(users);
        ListUsersHandler.Map(users);
        GetUserHandler.Map(users);
        UpdateUserHandler.Map(users);
        IssueKeyHandler.Map(users);
        ListKeysHandler.Map(users);

        var keys = app.MapGroup("/api/v1/keys").WithTags("Users");
        RevokeKeyHandler.Map(keys);

        GetMeHandler.Map(app);
    }
}
