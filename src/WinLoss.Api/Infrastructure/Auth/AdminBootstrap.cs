using Dapper;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Infrastructure.Auth;

/// <summary>
/// On a database with no admin: create the first admin with WINLOSS_ADMIN_KEY, or generate a key,
/// print it once and write it to admin.key (mode 0600) beside the database file.
/// </summary>
public static class AdminBootstrap
{
    public static void EnsureAdmin(Db db, string? configuredKey, ILogger logger)
    {
        using var connection = db.Open();
        var hasAdmin = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM users WHERE role = 'admin'") > 0;
        if (hasAdmin) return;

        if (string.IsNullOrWhiteSpace(configuredKey)) configuredKey = null; // "WINLOSS_ADMIN_KEY=" means unset
        if (configuredKey is not null && configuredKey.Trim().Length < 32)
            throw new InvalidOperationException("WINLOSS_ADMIN_KEY must be at least 32 characters.");
        var key = configuredKey?.Trim() ?? ApiKeys.Generate();
        var now = Clock.Now();
        using (var transaction = connection.BeginTransaction())
        {
            var userId = connection.ExecuteScalar<long>(
                """
                INSERT INTO users (email, display_name, role, created_at)
                VALUES ('admin@localhost', 'Administrator', 'admin', @now) RETURNING id
                """, new { now }, transaction);
            var keyId = connection.ExecuteScalar<long>(
                "INSERT INTO api_keys (user_id, prefix, hash, created_at) VALUES (@userId, @prefix, @hash, @now) RETURNING id",
                new { userId, prefix = ApiKeys.DisplayPrefix(key), hash = ApiKeys.Hash(key), now }, transaction);
            Audit.Record(connection, transaction, null, "user.created", $"user/{userId}", new { email = "admin@localhost", role = Roles.Admin, firstStart = true });
            Audit.Record(connection, transaction, null, "key.issued", $"user/{userId}", new { keyId, prefix = ApiKeys.DisplayPrefix(key) });
            transaction.Commit();
        }

        if (configuredKey is not null)
        {
            logger.LogInformation("Created the first admin with the key from WINLOSS_ADMIN_KEY.");
            return;
        }
        var file = Path.Combine(db.DataDirectory, "admin.key");
        File.WriteAllText(file, key + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // Printed once, on purpose, to the console (not the structured log): this is the only time it is shown.
        Console.WriteLine($"""

            ==== WinLoss first start: admin API key (shown once, also in {file}) ====
            {key}
            ====

            """);
    }
}
