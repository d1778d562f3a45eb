using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Rebuilds the read side from the write store (every live report, its child rows, users). Trends keep answering from the
/// old projection until the new one replaces it; changes committed meanwhile are applied right after.
/// </summary>
public sealed record RebuildReadModel(Caller Caller) : ICommand<RebuildResult>;

/// <summary>reports: live reports projected; position: the change-log position the projection is now at.</summary>
public sealed record RebuildResult(long Reports, long Position, double Seconds);

public sealed class RebuildReadModelHandler(ReadStore read, Writer writer) : ICommandHandler<RebuildReadModel, RebuildResult>
{
    public async ValueTask<RebuildResult> Handle(RebuildReadModel command, CancellationToken cancellationToken)
    {
        var result = await read.RebuildAsync($"requested by user {command.Caller.UserId}");
        var reports = result.Counts.GetValueOrDefault(ChangeLog.Report);
        await writer.ExecuteAsync((c, t) =>
            Audit.Record(c, t, command.Caller, "read_model.rebuilt", "trends", new { reports, position = result.Position }), CancellationToken.None);
        return new RebuildResult(reports, result.Position, result.Seconds);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/read-model/rebuild", Endpoint)
            .WithName("RebuildReadModel")
            .WithSummary("Rebuild the trend read side from the reports (admin)")
            .RequireAuthorization(Policies.Admin);

    private static async Task<Ok<RebuildResult>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new RebuildReadModel(Caller.From(http.User)), cancellationToken));
}
