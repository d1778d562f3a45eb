namespace WinLoss.Api.Features.Exports;

public static class ExportEndpoints
{
    public static void MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/exports").WithTags("Exports");
        ExportReportsHandler.Map(group);
        ExportObjectionsHandler.Map(group);
    }
}
