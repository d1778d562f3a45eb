namespace WinLoss.Api.Features.Imports;

public static class ImportEndpoints
{
    public static void MapImportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/imports").WithTags("Imports");
        ImportCrmHandler.Map(group);
    }
}
