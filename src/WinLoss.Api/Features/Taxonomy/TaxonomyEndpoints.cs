namespace WinLoss.Api.Features.Taxonomy;

public static class TaxonomyEndpoints
{
    public static void MapTaxonomyEndpoints(this IEndpointRouteBuilder app)
    {
        var categories = app.MapGroup("/api/v1/taxonomy").WithTags("Taxonomy");
        ListCategoriesHandler.Map(categories);
        AddCategoryHandler.Map(categories);

        var messages = app.MapGroup("/api/v1/catalog/messages").WithTags("Catalog");
        ListCatalogMessagesHandler.Map(messages);
        SaveCatalogMessageHandler.Map(messages);
        DeleteCatalogMessageHandler.Map(messages);

        var collateral = app.MapGroup("/api/v1/catalog/collateral").WithTags("Catalog");
        ListCatalogCollateralHandler.Map(collateral);
        SaveCatalogCollateralHandler.Map(collateral);
        DeleteCatalogCollateralHandler.Map(collateral);
    }
}
