using Dapper;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>
/// In-memory copy of the small taxonomy tables that every report is validated against
/// (categories, catalogue ids). Loaded on first use and after each <see cref="Invalidate"/> (every command that changes
/// the taxonomy calls it after its commit), by one caller at a time while the others wait for its result. With PostgreSQL
/// another instance may change the taxonomy: a copy older than <see cref="SharedDatabaseMaxAge"/> is reloaded by one
/// caller while the others go on with it, so requests never queue behind that reload.
/// </summary>
public sealed class TaxonomyCache(Db db)
{
    public sealed record Snapshot(
        HashSet<string> ReasonCategories,
        HashSet<string> ObjectionCategories,
        HashSet<string> ActiveMessages,
        HashSet<string> AllMessages,
        HashSet<string> ActiveCollateral,
        HashSet<string> AllCollateral);

    /// <summary>How stale the copy may be when several instances share the database.</summary>
    public static readonly TimeSpan SharedDatabaseMaxAge = TimeSpan.FromSeconds(2);

    private readonly long _maxAgeMs = db.IsPostgreSql ? (long)SharedDatabaseMaxAge.TotalMilliseconds : long.MaxValue;
    private readonly Lock _loading = new();
    private volatile Snapshot? _snapshot;
    private long _loadedAt;
    private long _generation;

    public Snapshot Current
    {
        get
        {
            if (Fresh() is { } fresh) return fresh;
            if (_snapshot is { } stale)
            {
                if (!_loading.TryEnter()) return stale; // another caller is reloading it
                try { return Fresh() ?? Load(); }
                finally { _loading.Exit(); }
            }
            return LoadOnce();
        }
    }

    private Snapshot? Fresh() =>
        _snapshot is { } s && Environment.TickCount64 - Interlocked.Read(ref _loadedAt) < _maxAgeMs ? s : null;

    private Snapshot LoadOnce()
    {
        lock (_loading) return Fresh() ?? Load();
    }

    /// <summary>Drops the snapshot. A load that read the tables before this call will not install its (stale) result.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _snapshot = null;
    }

    private Snapshot Load()
    {
        var generation = Interlocked.Read(ref _generation);
        var startedAt = Environment.TickCount64;
        using var connection = db.Open();
        using var grid = connection.QueryMultiple(
            """
            SELECT code FROM reason_categories;
            SELECT code FROM objection_categories;
            SELECT id, active FROM catalog_messages;
            SELECT id, active FROM catalog_collateral;
            """);
        var reasons = grid.Read<string>().ToHashSet(StringComparer.Ordinal);
        var objections = grid.Read<string>().ToHashSet(StringComparer.Ordinal);
        var messages = grid.Read<(string Id, bool Active)>().ToList();
        var collateral = grid.Read<(string Id, bool Active)>().ToList();
        var snapshot = new Snapshot(
            reasons, objections,
            messages.Where(m => m.Active).Select(m => m.Id).ToHashSet(StringComparer.Ordinal),
            messages.Select(m => m.Id).ToHashSet(StringComparer.Ordinal),
            collateral.Where(m => m.Active).Select(m => m.Id).ToHashSet(StringComparer.Ordinal),
            collateral.Select(m => m.Id).ToHashSet(StringComparer.Ordinal));
        if (Interlocked.Read(ref _generation) == generation)
        {
            Interlocked.Exchange(ref _loadedAt, startedAt);
            _snapshot = snapshot;
        }
        return snapshot;
    }
}
