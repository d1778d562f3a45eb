using Dapper;
using System.Data.Common;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// Keeps stored matching keys in step with <see cref="CompetitorNames.Normalize"/>. When the key function
/// changes, bump <see cref="Version"/>: at the next start-up every alias and every report's competitor names
/// are re-keyed from the names as written, and reports whose key or competitor changes are re-attributed
/// (with <see cref="ReportEvents"/>, so trends follow) — one writer job, before the service answers.
/// </summary>
public static class CompetitorKeys
{
    /// <summary>1: the first key function; 2: initials joined, web endings, more legal suffixes, compatibility forms.</summary>
    public const int Version = 2;

    public sealed record RekeyResult(int AliasesChanged, int AliasConflicts, int RowsChanged, int ReportsReattributed);

    public static async Task EnsureCurrentAsync(Db db, Writer writer, ILogger logger)
    {
        await using (var connection = await db.OpenAsync())
            if (await connection.ExecuteScalarAsync<int>("SELECT version FROM competitor_key_version WHERE id = 1") >= Version) return;
        var result = await writer.ExecuteAsync((c, t) => Rekey(c, t));
        logger.LogInformation(
            "Competitor keys upgraded to version {Version}: {Aliases} aliases re-keyed ({Conflicts} collisions kept the earlier competitor), {Rows} report rows re-keyed, {Reports} reports re-attributed",
            Version, result.AliasesChanged, result.AliasConflicts, result.RowsChanged, result.ReportsReattributed);
    }

    private sealed class AliasRow
    {
        public string Normalized { get; init; } = "";
        public string Alias { get; init; } = "";
        public long CompetitorId { get; init; }
    }

    private sealed class NameRow
    {
        public long ReportId { get; init; }
        public long Position { get; init; }
        public string? Name { get; init; }
        public string? Normalized { get; init; }
        public long? CompetitorId { get; init; }
    }

    private sealed record Change(bool Objection, long ReportId, long Position, string Key, long? CompetitorId);

    public static RekeyResult Rekey(DbConnection c, DbTransaction t)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        string Key(string name) => keys.TryGetValue(name, out var k) ? k : keys[name] = CompetitorNames.Normalize(name);

        // Aliases: rows whose key does not change keep it; a re-keyed alias that now collides with another
        // competitor's key is dropped (the earlier owner keeps the name), one of the same competitor is merged.
        var aliases = c.Query<AliasRow>("SELECT normalized AS Normalized, alias AS Alias, competitor_id AS CompetitorId FROM competitor_aliases", transaction: t).ToList();
        var owner = new Dictionary<string, long>(StringComparer.Ordinal);
        var moved = new List<(AliasRow Row, string Key)>();
        foreach (var a in aliases)
        {
            var key = Key(a.Alias);
            if (key.Length == 0 || key == a.Normalized) owner[a.Normalized] = a.CompetitorId;
            else moved.Add((a, key));
        }
        var conflicts = 0;
        foreach (var (row, key) in moved.OrderBy(m => m.Row.CompetitorId))
        {
            c.Execute("DELETE FROM competitor_aliases WHERE normalized = @Normalized", new { row.Normalized }, t);
            if (owner.TryGetValue(key, out var existing))
            {
                if (existing != row.CompetitorId) conflicts++;
                continue;
            }
            c.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES (@key, @Alias, @CompetitorId)",
                new { key, row.Alias, row.CompetitorId }, t);
            owner[key] = row.CompetitorId;
        }

        // Report rows: the key from the name as written, the competitor from the (re-keyed) aliases.
        var changes = new List<Change>();
        Collect(false, "SELECT report_id AS ReportId, position AS Position, name AS Name, normalized AS Normalized, competitor_id AS CompetitorId FROM report_competitors");
        Collect(true, "SELECT report_id AS ReportId, position AS Position, competitor AS Name, competitor_normalized AS Normalized, competitor_id AS CompetitorId FROM report_objections WHERE competitor IS NOT NULL");

        var deleted = c.Query<long>("SELECT id FROM reports WHERE deleted_at IS NOT NULL", transaction: t).ToHashSet();
        var reattributed = 0;
        foreach (var report in changes.GroupBy(ch => ch.ReportId))
        {
            var live = !deleted.Contains(report.Key);
            foreach (var ch in report)
            {
                c.Execute(ch.Objection
                        ? "UPDATE report_objections SET competitor_normalized = @Key, competitor_id = @CompetitorId WHERE report_id = @ReportId AND position = @Position"
                        : "UPDATE report_competitors SET normalized = @Key, competitor_id = @CompetitorId WHERE report_id = @ReportId AND position = @Position",
                    new { ch.Key, ch.CompetitorId, ch.ReportId, ch.Position }, t);
            }
            if (live)
            {
                ReportEvents.Written(c, t, report.Key);
                reattributed++;
            }
        }
        c.Execute("UPDATE competitor_key_version SET version = @Version WHERE id = 1", new { Version }, t);
        return new RekeyResult(moved.Count, conflicts, changes.Count, reattributed);

        void Collect(bool objection, string sql)
        {
            foreach (var row in c.Query<NameRow>(sql, transaction: t, buffered: false))
            {
                var key = Key(row.Name ?? "");
                long? competitorId = key.Length > 0 && owner.TryGetValue(key, out var id) ? id : null;
                if (key != row.Normalized || competitorId != row.CompetitorId)
                    changes.Add(new Change(objection, row.ReportId, row.Position, key, competitorId));
            }
        }
    }
}
