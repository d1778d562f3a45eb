using Mediator;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>The collateral catalogue by id; <c>active=true|false</c> filters.</summary>
public sealed record ListCatalogCollateral(bool? Active) : IQuery<CatalogCollateralList>;

/// <summary>One catalogue collateral item.</summary>
public sealed record GetCatalogCollateral(string Id) : IQuery<CatalogCollateralDto>;

public sealed class ListCatalogCollateralHandler(Db db) : IQueryHandler<ListCatalogCollateral, CatalogCollateralList>
{
    public async ValueTask<CatalogCollateralList> Handle(ListCatalogCollateral query, CancellationToken cancellationToken) =>
        new(await Catalogs.Collateral.ListAsync(db, query.Active, cancellationToken));

    public static void Map(RouteGroupBuilder group) =>
        Catalogs.Collateral.MapList(group, active => new ListCatalogCollateral(active), id => new GetCatalogCollateral(id),
            listEndpoint: ("ListCatalogCollateral", "The collateral catalogue (active=true|false filters)"),
            getEndpoint: ("GetCatalogCollateral", "One catalogue collateral item"));
}

public sealed class GetCatalogCollateralHandler(Db db) : IQueryHandler<GetCatalogCollateral, CatalogCollateralDto>
{
    public async ValueTask<CatalogCollateralDto> Handle(GetCatalogCollateral query, CancellationToken cancellationToken) =>
        await Catalogs.Collateral.GetAsync(db, query.Id, cancellationToken);
}
