using System.Text.Json;
using Dapper;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Infrastructure;

/// <summary>Writes one audit entry inside the caller's write transaction (so the entry exists iff the change does).</summary>
public static class Audit
{
    private const string InsertSql =
        "INSERT INTO audit_log (at, user_id, role, action, target, details) VALUES (@at, @userId, @role, @action, @target, @details)";

    public static void Record(DbConnection c, DbTransaction t, Caller? caller, string action, string? target, object? details)
    {
        c.Execute(InsertSql, new
        {
            at = Clock.Now(), userId = caller?.UserId, role = caller?.Role, action, target,
            details = details is null ? null : JsonSerializer.Serialize(details, JsonBody.Options),
        }, t);
    }
}
