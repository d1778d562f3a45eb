using Dapper;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// A competitor as the API returns it. <c>aliases</c> are the other names that resolve to it (its own name
/// excluded). A competitor merged into another stays readable as a tombstone with <c>mergedIntoId</c> set;
/// its aliases and reports belong to the surviving competitor.
/// </summary>
public sealed record CompetitorDto(
    long Id, string Name, IReadOnlyList<string> Aliases, long? MergedIntoId, int ReportCount, string CreatedAt);

/// <summary>Body of POST /api/v1/competitors.</summary>
public sealed record CreateCompetitorBody
{
    public string? Name { get; init; }
    public List<string?>? Aliases { get; init; }
}

/// <summary>Reads competitors (on a reader connection or inside a writer job) and checks names against the alias table.</summary>
public static class CompetitorStore
{
    public const int MaxNameLength = 100;

    // Report counts: live reports naming a competitor = all (an index-only count) − deleted ones (few; the
    // CROSS JOIN makes SQLite start from the partial index of deleted reports). Joining every row to
    // reports to test deleted_at costs a lookup per report (8x the CPU at 1M reports).

    private const string LoadSql =
        """
        SELECT c.id AS Id, c.name AS Name, c.merged_into_id AS MergedIntoId, c.created_at AS CreatedAt,
               (SELECT COUNT(DISTINCT report_id) FROM report_competitors WHERE competitor_id = c.id)
             - (SELECT COUNT(DISTINCT rc.report_id) FROM reports r CROSS JOIN report_competitors rc ON rc.report_id = r.id
                WHERE r.deleted_at IS NOT NULL AND rc.competitor_id = c.id) AS ReportCount
        FROM competitors c WHERE c.id = @id;
        SELECT alias AS Alias, normalized AS Normalized FROM competitor_aliases WHERE competitor_id = @id ORDER BY alias;
        """;

    private const string OwnerSql =
        """
        SELECT a.competitor_id AS CompetitorId, c.name AS CompetitorName, a.alias AS Alias
        FROM competitor_aliases a JOIN competitors c ON c.id = a.competitor_id
        WHERE a.normalized = @normalized
        """;

    private const string InsertAliasSql =
        "INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES (@normalized, @alias, @competitorId)";

    public sealed class Row
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public long? MergedIntoId { get; init; }
        public string CreatedAt { get; init; } = "";
        public long ReportCount { get; init; }
    }

    public sealed class AliasRow
    {
        public string Alias { get; init; } = "";
        public string Normalized { get; init; } = "";
    }

    public sealed class Owner
    {
        public long CompetitorId { get; init; }
        public string CompetitorName { get; init; } = "";
        public string Alias { get; init; } = "";
    }

    public static CompetitorDto? Load(DbConnection c, long id, DbTransaction? t = null)
    {
        using var grid = c.QueryMultiple(Dialect.Of(c).Adapt(LoadSql), new { id }, t);
        var row = grid.ReadSingleOrDefault<Row>();
        if (row is null) return null;
        var aliases = grid.Read<AliasRow>().ToList();
        return ToDto(row, aliases);
    }

    public static CompetitorDto ToDto(Row row, IEnumerable<AliasRow> aliases)
    {
        var own = CompetitorNames.Normalize(row.Name);
        return new CompetitorDto(row.Id, row.Name,
            aliases.Where(a => a.Normalized != own).Select(a => a.Alias).Order(StringComparer.OrdinalIgnoreCase).ToList(),
            row.MergedIntoId, (int)row.ReportCount, row.CreatedAt);
    }

    /// <summary>The live competitor <paramref name="id"/> (404 when missing, 409 when merged away).</summary>
    public static CompetitorDto RequireLive(DbConnection c, DbTransaction t, long id)
    {
        var competitor = Load(c, id, t) ?? throw new NotFoundException($"Competitor {id} not found.");
        if (competitor.MergedIntoId is { } into)
            throw new ConflictException($"Competitor {id} was merged into competitor {into}; use that one.",
                new Dictionary<string, object?> { ["mergedIntoId"] = into, ["competitor"] = $"/api/v1/competitors/{into}" });
        return competitor;
    }

    /// <summary>Which competitor a name already resolves to, if any.</summary>
    public static Owner? OwnerOf(DbConnection c, DbTransaction t, string normalized) =>
        c.QuerySingleOrDefault<Owner>(OwnerSql, new { normalized }, t);

    /// <summary>
    /// Makes <paramref name="name"/> resolve to <paramref name="competitorId"/>. Returns false when it already does;
    /// 409 naming the other competitor when the name (after normalisation) belongs to another one.
    /// </summary>
    public static bool AddName(DbConnection c, DbTransaction t, long competitorId, string name, string field)
    {
        var normalized = CompetitorNames.Normalize(name);
        var owner = OwnerOf(c, t, normalized);
        if (owner is not null)
        {
            if (owner.CompetitorId == competitorId) return false;
            throw new ConflictException(
                $"'{name}' already resolves to competitor {owner.CompetitorId} ({owner.CompetitorName}) through its name or alias '{owner.Alias}'.",
                new Dictionary<string, object?>
                {
                    ["field"] = field,
                    ["competitorId"] = owner.CompetitorId,
                    ["competitorName"] = owner.CompetitorName,
                    ["alias"] = owner.Alias,
                    ["competitor"] = $"/api/v1/competitors/{owner.CompetitorId}",
                });
        }
        c.Execute(InsertAliasSql, new { normalized, alias = name, competitorId }, t);
        return true;
    }

    /// <summary>A competitor name or alias as typed: 1 to 100 characters on one line, with at least one letter or digit.</summary>
    public static string? NameProblem(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value)) return $"{what} is required.";
        if (value.Trim().Length > MaxNameLength) return $"{what} must be at most {MaxNameLength} characters.";
        if (value.Any(char.IsControl)) return $"{what} must be one line of text.";
        if (CompetitorNames.Normalize(value).Length == 0) return $"{what} must contain letters or digits.";
        return null;
    }
}
