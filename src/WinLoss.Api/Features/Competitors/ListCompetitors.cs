using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Competitors;

/// <summary>All competitors by name, with aliases and report counts (live reports naming them; see CompetitorStore
/// for how they are counted). Merged ones only with includeMerged=true.</summary>
public sealed record ListCompetitors(bool IncludeMerged) : IQuery<CompetitorList>;

public sealed record CompetitorList(IReadOnlyList<CompetitorDto> Items);

public sealed class ListCompetitorsHandler(Db db) : IQueryHandler<ListCompetitors, CompetitorList>
{
    private const string Sql =
        """
        SELECT c.id AS Id, c.name AS Name, c.merged_into_id AS MergedIntoId, c.created_at AS CreatedAt,
               COALESCE(a.reports, 0) - COALESCE(d.reports, 0) AS ReportCount
        FROM competitors c
        LEFT JOIN (SELECT competitor_id, COUNT(DISTINCT report_id) AS reports FROM report_competitors
                   WHERE competitor_id IS NOT NULL GROUP BY competitor_id) a ON a.competitor_id = c.id
        LEFT JOIN (SELECT rc.competitor_id, COUNT(DISTINCT rc.report_id) AS reports
                   FROM reports r CROSS JOIN report_competitors rc ON rc.report_id = r.id
                   WHERE r.deleted_at IS NOT NULL AND rc.competitor_id IS NOT NULL
                   GROUP BY rc.competitor_id) d ON d.competitor_id = c.id
        WHERE @includeMerged OR c.merged_into_id IS NULL
        ORDER BY c.name COLLATE NOCASE, c.id;
        SELECT competitor_id AS CompetitorId, alias AS Alias, normalized AS Normalized FROM competitor_aliases;
        """;

    private sealed class AliasOf
    {
        public long CompetitorId { get; init; }
        public string Alias { get; init; } = "";
        public string Normalized { get; init; } = "";
    }

    public async ValueTask<CompetitorList> Handle(ListCompetitors query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        using var grid = await connection.QueryMultipleAsync(new CommandDefinition(Dialect.Of(connection).Adapt(Sql), new { includeMerged = query.IncludeMerged }, cancellationToken: cancellationToken));
        var rows = (await grid.ReadAsync<CompetitorStore.Row>()).ToList();
        var aliases = (await grid.ReadAsync<AliasOf>()).ToLookup(a => a.CompetitorId);
        return new CompetitorList(rows.Select(r => CompetitorStore.ToDto(r,
            aliases[r.Id].Select(a => new CompetitorStore.AliasRow { Alias = a.Alias, Normalized = a.Normalized }))).ToList());
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", Endpoint)
            .WithName("ListCompetitors")
            .WithSummary("List competitors with aliases and report counts")
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesValidationProblem();

    private static async Task<Ok<CompetitorList>> Endpoint(string? includeMerged, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListCompetitors(QueryInt.Bool(includeMerged, "includeMerged") ?? false), cancellationToken));
}
