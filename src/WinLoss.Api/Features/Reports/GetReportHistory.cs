using System.Text.Json;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Reports;

/// <summary>Every version of a report, oldest first, as it was filed or amended.</summary>
public sealed record GetReportHistory(long Id, Caller Caller) : IQuery<IReadOnlyList<ReportVersionDto>>;

public sealed record ReportVersionDto(int Version, string ChangedAt, long ChangedBy, ReportInput Report);

public sealed class GetReportHistoryHandler(Db db) : IQueryHandler<GetReportHistory, IReadOnlyList<ReportVersionDto>>
{
    private const string Sql =
        """
        SELECT version AS Version, changed_at AS ChangedAt, changed_by AS ChangedBy, body AS Body
        FROM report_versions WHERE report_id = @id ORDER BY version
        """;

    public async ValueTask<IReadOnlyList<ReportVersionDto>> Handle(GetReportHistory query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var report = ReportStore.Load(connection, query.Id);
        if (report is null || !GetReportHandler.CanSee(query.Caller, report)) throw new NotFoundException($"Report {query.Id} not found.");
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(Sql, new { id = query.Id }, cancellationToken: cancellationToken));
        return rows.Select(r => new ReportVersionDto((int)r.Version, r.ChangedAt, r.ChangedBy,
            ReportJson.ReadVersion(r.Body))).ToList();
    }

    private sealed class Row
    {
        public long Version { get; init; }
        public string ChangedAt { get; init; } = "";
        public long ChangedBy { get; init; }
        public string Body { get; init; } = "";
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}/history", Endpoint)
            .WithName("GetReportHistory")
            .WithSummary("Every version of a report, oldest first")
            .RequireAuthorization(Policies.ReadReports)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<IReadOnlyList<ReportVersionDto>>> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetReportHistory(id, Caller.From(http.User)), cancellationToken));
}
