using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Recomputes the trend read model from the live reports, in one write transaction (writes wait for it).
/// Deterministic: the result equals what the incremental updates produce.
/// </summary>
public sealed record RebuildReadModel(Caller Caller) : ICommand<RebuildResult>;

public sealed record RebuildResult(long Reports, long Facts, double Seconds);

public sealed class RebuildReadModelHandler(Writer writer) : ICommandHandler<RebuildReadModel, RebuildResult>
{
    public ValueTask<RebuildResult> Handle(RebuildReadModel command, CancellationToken cancellationToken) =>
        new(writer.ExecuteAsync((c, t) =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var reports = ReadModel.Rebuild(c, t);
            var facts = Dapper.SqlMapper.ExecuteScalar<long>(c, "SELECT COUNT(*) FROM trend_facts", transaction: t);
            Audit.Record(c, t, command.Caller, "read_model.rebuilt", "trends", new { reports, facts });
            return new RebuildResult(reports, facts, Math.Round(clock.Elapsed.TotalSeconds, 3));
        }, cancellationToken));

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/read-model/rebuild", Endpoint)
            .WithName("RebuildReadModel")
            .WithSummary("Recompute the trend read model from the reports (admin)")
            .RequireAuthorization(Policies.Admin);

    private static async Task<Ok<RebuildResult>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new RebuildReadModel(Caller.From(http.User)), cancellationToken));
}
