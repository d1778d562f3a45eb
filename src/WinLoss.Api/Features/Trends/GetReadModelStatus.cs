using System.Globalization;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Where this instance's read side stands, for operators: what it is doing, the last change applied, how many committed
/// changes it has still to apply, and its snapshot on disk. It answers while the read side loads or rebuilds (when trend
/// queries answer 503) and never waits for a catch-up.
/// </summary>
public sealed record GetReadModelStatus : IQuery<ReadModelStatus>;

/// <param name="State">starting, loading, rebuilding (with progress), ready or failed.</param>
/// <param name="Ready">Whether trend queries are answered (false until the first load or rebuild at start finishes).</param>
/// <param name="Position">The change-log position applied last (seq on SQLite, a transaction-id watermark on PostgreSQL).</param>
/// <param name="AsOf">When the last applied change was written (what trend answers show as asOf); null before any change.</param>
/// <param name="PendingChanges">Changes committed to the write store and not applied yet (a trend query applies them first);
/// null when the write store could not be asked.</param>
/// <param name="Snapshot">The projection saved on disk (loaded at the next start instead of a rebuild); null when none is saved yet.</param>
public sealed record ReadModelStatus(string State, bool Ready, long Position, string? AsOf, long? PendingChanges, ReadModelSnapshot? Snapshot);

/// <param name="SavedAt">When the file was last written (UTC).</param>
/// <param name="Bytes">Its size.</param>
public sealed record ReadModelSnapshot(string SavedAt, long Bytes);

public sealed class GetReadModelStatusHandler(ReadStore read, Db db, ILogger<GetReadModelStatusHandler> logger) : IQueryHandler<GetReadModelStatus, ReadModelStatus>
{
    /// <summary>
    /// PostgreSQL: the watermark trails transactions in flight at the last pass, so changes above it that the pass saw
    /// (visible in its snapshot) are applied already; the pending ones are those it did not see.
    /// </summary>
    private const string PendingPostgreSqlSql =
        "SELECT count(*) FROM read_changes WHERE txid > @position AND NOT pg_visible_in_snapshot(txid::text::xid8, @snapshot::pg_snapshot)";

    public async ValueTask<ReadModelStatus> Handle(GetReadModelStatus query, CancellationToken cancellationToken)
    {
        // A pass landing between these two reads leaves the count right: what it applied is visible in its snapshot.
        var (position, snapshot) = (read.Position, read.FeedSnapshot);
        long? pending = null;
        try
        {
            await using var c = await db.OpenAsync(cancellationToken);
            pending = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                snapshot is null ? $"SELECT count(*) FROM read_changes WHERE {db.Dialect.FeedKey} > @position" : PendingPostgreSqlSql,
                new { position, snapshot }, cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Read-model status: could not count the pending changes");
        }
        var file = new FileInfo(read.SnapshotPath);
        var saved = file.Exists
            ? new ReadModelSnapshot(file.LastWriteTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), file.Length)
            : null;
        return new ReadModelStatus(read.State, read.IsReady, position, read.AsOf, pending, saved);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/read-model", Endpoint)
            .WithName("GetReadModelStatus")
            .WithSummary("Where the trend read side stands: state, position, pending changes, snapshot (admin)")
            .RequireAuthorization(Policies.Admin);

    private static async Task<Ok<ReadModelStatus>> Endpoint(ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetReadModelStatus(), cancellationToken));
}
