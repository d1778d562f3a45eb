namespace WinLoss.Api.Features.AuditLog;

public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/v1/audit").WithTags("Audit");
        ListAuditEntriesHandler.Map(audit);
    }
}
