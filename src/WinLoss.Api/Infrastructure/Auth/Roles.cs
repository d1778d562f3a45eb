using System.Security.Claims;

namespace WinLoss.Api.Infrastructure.Auth;

public static class Roles
{
    public const string Rep = "rep";
    public const string Marketing = "marketing";
    public const string Analyst = "analyst";
    public const string Admin = "admin";
    public static readonly string[] All = [Rep, Marketing, Analyst, Admin];
}

/// <summary>Who is calling: the user behind the API key.</summary>
public sealed record Caller(long UserId, string Role, long KeyId)
{
    public bool IsRep => Role == Roles.Rep;
    public bool CanActForOthers => Role is Roles.Analyst or Roles.Admin;

    public static Caller From(ClaimsPrincipal user) => new(
        long.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("No user id claim"), System.Globalization.CultureInfo.InvariantCulture),
        user.FindFirstValue(ClaimTypes.Role) ?? throw new InvalidOperationException("No role claim"),
        long.Parse(user.FindFirstValue("key_id") ?? "0", System.Globalization.CultureInfo.InvariantCulture));
}
