namespace WinLoss.Api.Features.Reports;

public static class ReportEndpoints
{
    public static void MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/reports").WithTags("Reports");
        FileReportHandler.Map(group);
        ListReportsHandler.Map(group);
        GetReportHandler.Map(group);
        GetReportHistoryHandler.Map(group);
        AmendReportHandler.Map(group);
        DeleteReportHandler.Map(group);
    }
}
