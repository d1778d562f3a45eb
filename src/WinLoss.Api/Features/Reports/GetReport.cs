using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Reports;

/// <summary>One report. A rep sees only their own (another rep's report is 404, not 403).</summary>
public sealed record GetReport(long Id, Caller Caller) : IQuery<ReportDto>;

public sealed class GetReportHandler(Db db) : IQueryHandler<GetReport, ReportDto>
{
    public async ValueTask<ReportDto> Handle(GetReport query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var report = ReportStore.Load(connection, query.Id);
        if (report is null || !CanSee(query.Caller, report)) throw new NotFoundException($"Report {query.Id} not found.");
        return report;
    }

    public static bool CanSee(Caller caller, ReportDto report) =>
        !caller.IsRep || (report.RepId == caller.UserId && report.DeletedAt is null);

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}", Endpoint)
            .WithName("GetReport")
            .WithSummary("Read one report (with an ETag for amendments)")
            .RequireAuthorization(Policies.ReadReports)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<ReportDto>> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var report = await sender.Send(new GetReport(id, Caller.From(http.User)), cancellationToken);
        http.Response.Headers.ETag = ReportStore.ETag(report.Id, report.Version);
        return TypedResults.Ok(report);
    }
}
