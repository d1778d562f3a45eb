using System.Data.Common;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Infrastructure.ReadSide;

/// <summary>
/// The change log that feeds the read side: one row (entity, id) per changed entity, appended inside the write
/// transaction that changed it, so a projection can never miss a committed change nor see an uncommitted one.
/// </summary>
public static class ChangeLog
{
    public const string Report = "report";
    public const string User = "user";

    private const string InsertSql = "INSERT INTO read_changes (entity, entity_id, changed_at) VALUES (@Entity, @Id, @Now)";

    /// <summary>Records that <paramref name="entity"/> <paramref name="id"/> changed (call inside the writer job that changed it).</summary>
    public static void Record(DbConnection c, DbTransaction t, string entity, long id) =>
        c.Exec(t, InsertSql, new { Entity = entity, Id = id, Now = Clock.Now() });
}
