namespace WinLoss.Api.Features.Competitors;

public static class CompetitorEndpoints
{
    public static void MapCompetitorEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/competitors").WithTags("Competitors");
        ListCompetitorsHandler.Map(group);
        CreateCompetitorHandler.Map(group);
        GetCompetitorHandler.Map(group);
        AddCompetitorAliasHandler.Map(group);
        MergeCompetitorsHandler.Map(group);
        ListUnmatchedHandler.Map(group);
        MapUnmatchedHandler.Map(group);
    }
}
