using System.Text.RegularExpressions;
using Dapper;
using System.Data.Common;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Users;

public sealed record UserDto
{
    public long Id { get; init; }
    public string Email { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string Role { get; init; } = "";
    public string? Team { get; init; }
    public string? Region { get; init; }
    public string CreatedAt { get; init; } = "";
    /// <summary>Keys that are not revoked.</summary>
    public int ActiveKeys { get; init; }
}

/// <summary>A key as it is listed: never the key itself, only its first characters to recognise it.</summary>
public sealed record KeyDto
{
    public long Id { get; init; }
    public long UserId { get; init; }
    public string Prefix { get; init; } = "";
    public string CreatedAt { get; init; } = "";
    public string? LastUsedAt { get; init; }
    public string? RevokedAt { get; init; }
}

/// <summary>A newly issued key. <see cref="Key"/> is shown this once and never stored.</summary>
public sealed record IssuedKey(long Id, long UserId, string Key, string Prefix, string CreatedAt);

public static partial class UserRules
{
    public const int MaxEmail = 254;
    public const int MaxText = 100;

    /// <summary>A pragmatic address check: one @, no spaces or control characters, a dot in the domain.</summary>
    public static bool IsEmail(string? value) =>
        value is not null && value.Length <= MaxEmail && EmailPattern().IsMatch(value);

    public static bool IsSingleLine(string? value) => value is null || !value.Any(char.IsControl);

    [GeneratedRegex(@"^[^@\s\p{C}]+@[^@\s\p{C}.]+(\.[^@\s\p{C}.]+)+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}

/// <summary>SQL shared by the user and key use cases.</summary>
public static class UserStore
{
    public const string SelectUser =
        """
        SELECT u.id AS Id, u.email AS Email, u.display_name AS DisplayName, u.role AS Role, u.team AS Team,
               u.region AS Region, u.created_at AS CreatedAt,
               (SELECT COUNT(*) FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS ActiveKeys
        FROM users u
        """;

    private const string InsertKeySql =
        "INSERT INTO api_keys (user_id, prefix, hash, created_at) VALUES (@userId, @prefix, @hash, @now) RETURNING id";

    public static UserDto? Load(DbConnection c, long id, DbTransaction? t = null) =>
        c.QuerySingleOrDefault<UserDto>(SelectUser + " WHERE u.id = @id", new { id }, t);

    /// <summary>Generates a key for <paramref name="userId"/>, stores only its hash, and audits the issue.</summary>
    public static IssuedKey IssueKey(DbConnection c, DbTransaction t, long userId, Caller? caller)
    {
        var key = ApiKeys.Generate();
        var prefix = ApiKeys.DisplayPrefix(key);
        var now = Clock.Now();
        var id = c.ExecuteScalar<long>(InsertKeySql, new { userId, prefix, hash = ApiKeys.Hash(key), now }, t);
        Audit.Record(c, t, caller, "key.issued", $"user/{userId}", new { keyId = id, prefix });
        return new IssuedKey(id, userId, key, prefix, now);
    }
}
