namespace WinLoss.Api.Features.Trends;

public static class TrendEndpoints
{
    public static void MapTrendEndpoints(this IEndpointRouteBuilder app)
    {
        var trends = app.MapGroup("/api/v1/trends").WithTags("Trends");
        GetCompetitorTrendHandler.Map(trends);
        GetObjectionTrendHandler.Map(trends);
        GetReasonTrendHandler.Map(trends);
        GetMessageTrendHandler.Map(trends);
        GetLeadSourceTrendHandler.Map(trends);
        GetCollateralTrendHandler.Map(trends);
        GetTrendAlertsHandler.Map(trends);
        GetCompetitorProfileHandler.Map(app.MapGroup("/api/v1/competitors").WithTags("Trends"));

        var admin = app.MapGroup("/api/v1/admin").WithTags("Admin");
        RebuildReadModelHandler.Map(admin);
        GetReadModelStatusHandler.Map(admin);
    }
}
