namespace WinLoss.Api.Features.Coverage;

public static class CoverageEndpoints
{
    public static void MapCoverageEndpoints(this IEndpointRouteBuilder app)
    {
        var deals = app.MapGroup("/api/v1/deals").WithTags("Closed deals");
        RecordClosedDealHandler.Map(deals);
        RecordClosedDealsHandler.Map(deals);
        ListWaitingDealsHandler.Map(deals);
        GetClosedDealHandler.Map(deals);
        var trends = app.MapGroup("/api/v1/trends").WithTags("Trends");
        GetCoverageHandler.Map(trends);
        GetDataQualityHandler.Map(app);
    }
}
