using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>The collateral catalogue by id; <c>active=true|false</c> filters.</summary>
public sealed record ListCatalogCollateral(bool? Active) : IQuery<CatalogCollateralList>;

/// <summary>One catalogue collateral item.</summary>
public sealed record GetCatalogCollateral(string Id) : IQuery<CatalogCollateralDto>;

public sealed class ListCatalogCollateralHandler(Db db) : IQueryHandler<ListCatalogCollateral, CatalogCollateralList>
{
    public const string Columns =
        "id AS Id, title AS Title, kind AS Kind, url AS Url, active AS Active, created_at AS CreatedAt, updated_at AS UpdatedAt";
    private const string ListSql = $"SELECT {Columns} FROM catalog_collateral WHERE @active IS NULL OR active = @active ORDER BY id";

    public sealed class Row
    {
        public string Id { get; init; } = "";
        public string Title { get; init; } = "";
        public string? Kind { get; init; }
        public string? Url { get; init; }
        public bool Active { get; init; }
        public string CreatedAt { get; init; } = "";
        public string UpdatedAt { get; init; } = "";
        public CatalogCollateralDto Dto() => new(Id, Title, Kind, Url, Active, CreatedAt, UpdatedAt);
    }

    public async ValueTask<CatalogCollateralList> Handle(ListCatalogCollateral query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(ListSql, new { active = query.Active is { } a ? (a ? 1L : 0L) : (long?)null }, cancellationToken: cancellationToken));
        return new CatalogCollateralList(rows.Select(r => r.Dto()).ToList());
    }

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", List)
            .WithName("ListCatalogCollateral")
            .WithSummary("The collateral catalogue (active=true|false filters)")
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesValidationProblem();
        group.MapGet("/{id}", Get)
            .WithName("GetCatalogCollateral")
            .WithSummary("One catalogue collateral item")
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Ok<CatalogCollateralList>> List(string? active, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListCatalogCollateral(QueryInt.Bool(active, "active")), cancellationToken));

    private static async Task<Ok<CatalogCollateralDto>> Get(string id, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetCatalogCollateral(id), cancellationToken));
}

public sealed class GetCatalogCollateralHandler(Db db) : IQueryHandler<GetCatalogCollateral, CatalogCollateralDto>
{
    private const string GetSql = $"SELECT {ListCatalogCollateralHandler.Columns} FROM catalog_collateral WHERE id = @id";

    public async ValueTask<CatalogCollateralDto> Handle(GetCatalogCollateral query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ListCatalogCollateralHandler.Row>(new CommandDefinition(GetSql, new { id = query.Id }, cancellationToken: cancellationToken));
        return row?.Dto() ?? throw new NotFoundException($"Collateral '{query.Id}' not found.");
    }
}
