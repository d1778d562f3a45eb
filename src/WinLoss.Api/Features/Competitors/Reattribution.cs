using Dapper;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Features.Reports;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// Points past reports at a competitor after its names changed (new competitor, new alias, mapped
/// unmatched name, merge). Runs inside the caller's writer job, so the change and the trend read model
/// commit together: every affected live report gets <see cref="ReportEvents.Written"/> once its
/// competitor ids have changed. Deleted reports are re-pointed
/// too (their rows stay consistent) but raise no events: they contribute nothing to read models.
/// The report itself (names as written, version, ETag) does not change.
/// </summary>
public static class Reattribution
{
    private const string AffectedByKeysSql =
        """
        SELECT id AS Id, deleted_at IS NULL AS Live FROM reports WHERE id IN (
            SELECT report_id FROM report_competitors
            WHERE normalized IN @keys AND (competitor_id IS NULL OR competitor_id <> @competitorId)
            UNION
            SELECT report_id FROM report_objections
            WHERE competitor_normalized IN @keys AND (competitor_id IS NULL OR competitor_id <> @competitorId))
        ORDER BY id
        """;

    private const string UpdateByKeysSql =
        """
        UPDATE report_competitors SET competitor_id = @competitorId
        WHERE normalized IN @keys AND (competitor_id IS NULL OR competitor_id <> @competitorId);
        UPDATE report_objections SET competitor_id = @competitorId
        WHERE competitor_normalized IN @keys AND (competitor_id IS NULL OR competitor_id <> @competitorId);
        """;

    private const string AffectedByCompetitorSql =
        """
        SELECT id AS Id, deleted_at IS NULL AS Live FROM reports WHERE id IN (
            SELECT report_id FROM report_competitors WHERE competitor_id = @fromId
            UNION
            SELECT report_id FROM report_objections WHERE competitor_id = @fromId)
        ORDER BY id
        """;

    private const string UpdateByCompetitorSql =
        """
        UPDATE report_competitors SET competitor_id = @intoId WHERE competitor_id = @fromId;
        UPDATE report_objections SET competitor_id = @intoId WHERE competitor_id = @fromId;
        """;

    private sealed class Affected
    {
        public long Id { get; init; }
        public bool Live { get; init; }
    }

    /// <summary>Every report row whose normalised name is one of <paramref name="keys"/> now names <paramref name="competitorId"/>.
    /// Returns the number of live reports re-attributed.</summary>
    public static int ByKeys(DbConnection c, DbTransaction t, IReadOnlyCollection<string> keys, long competitorId)
    {
        if (keys.Count == 0) return 0;
        var args = new { keys = keys.ToArray(), competitorId };
        var affected = c.Query<Affected>(Dialect.Of(c).Adapt(AffectedByKeysSql), args, t).ToList();
        return Apply(c, t, affected, () => c.Execute(Dialect.Of(c).Adapt(UpdateByKeysSql), args, t));
    }

    /// <summary>Every report row naming competitor <paramref name="fromId"/> now names <paramref name="intoId"/> (merge).
    /// Returns the number of live reports re-attributed.</summary>
    public static int ByCompetitor(DbConnection c, DbTransaction t, long fromId, long intoId)
    {
        var affected = c.Query<Affected>(AffectedByCompetitorSql, new { fromId }, t).ToList();
        return Apply(c, t, affected, () => c.Execute(UpdateByCompetitorSql, new { fromId, intoId }, t));
    }

    private static int Apply(DbConnection c, DbTransaction t, List<Affected> affected, Action update)
    {
        if (affected.Count == 0) return 0;
        var live = affected.Where(a => a.Live).Select(a => a.Id).ToList();
        update();
        foreach (var id in live) ReportEvents.Written(c, t, id);
        return live.Count;
    }
}
