using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Infrastructure.ReadSide;

/// <summary>
/// Keeps the read side current in the background: loads or rebuilds it at start, then polls the change log (changes made
/// by this process — woken by <see cref="ReadStore.Nudge"/> after every command — or by another process on the same
/// database), saves snapshots, and prunes old change-log entries. Settings: WINLOSS_READSIDE_POLL_MS (default 1000),
/// WINLOSS_READSIDE_SNAPSHOT_SECONDS (300).
/// </summary>
public sealed class ReadSideService(ReadStore store, Writer writer, IConfiguration configuration, ILogger<ReadSideService> logger) : BackgroundService
{
    /// <summary>How long change-log entries are kept: a snapshot older than this is rebuilt instead of caught up.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        store.Initialize();
        var poll = TimeSpan.FromMilliseconds(Setting("WINLOSS_READSIDE_POLL_MS", 1000));
        // After a nudge, wait a moment so one pass applies what several commands wrote (a pass has a fixed cost:
        // queries always catch up themselves, so the wait never shows in an answer).
        var gather = TimeSpan.FromMilliseconds(Setting("WINLOSS_READSIDE_GATHER_MS", 200));
        var snapshotEvery = TimeSpan.FromSeconds(Setting("WINLOSS_READSIDE_SNAPSHOT_SECONDS", 300));
        var lastSnapshot = DateTime.UtcNow;
        // The first prune an hour after start, not at once: entries are kept for days, and on PostgreSQL a prune (it scans
        // the change log) running beside the first writes after a start can make one of them retry (a serialization
        // failure: the prune reads past a write in flight).
        var lastPrune = DateTime.UtcNow;
        var lastPass = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Under a sustained stream of writes the wait grows with the last pass, so background passes take at most
                // about a fifth of a core (a pass costs more per call than per report: bigger, rarer passes leave the
                // writes more of the machine; measured in docs/performance.md).
                if (await store.WaitForNudgeAsync(poll, stoppingToken)) await Task.Delay(Max(gather, lastPass * BackgroundShare), stoppingToken);
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await store.CatchUpAsync();
                lastPass = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (DateTime.UtcNow - lastSnapshot >= snapshotEvery)
                {
                    lastSnapshot = DateTime.UtcNow;
                    store.SaveSnapshot();
                }
                if (DateTime.UtcNow - lastPrune >= TimeSpan.FromHours(1))
                {
                    lastPrune = DateTime.UtcNow;
                    var pruned = await ReadStore.PruneChangeLogAsync(writer, Retention);
                    if (pruned > 0) logger.LogInformation("Pruned {Count} change-log entries older than {Days} days", pruned, Retention.TotalDays);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Read side background pass failed; retrying");
            }
        }
    }

    private int _stopped;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return; // a host may stop its services twice (the test host does)
        try
        {
            await store.CatchUpAsync();
            store.SaveSnapshot();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not save the read-side snapshot at shutdown (the next start catches up from the last one)");
        }
    }

    /// <summary>Waits between background passes of at least this many times the last pass's duration.</summary>
    private const int BackgroundShare = 4;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private int Setting(string name, int fallback) =>
        int.TryParse(configuration[name] ?? Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;
}
