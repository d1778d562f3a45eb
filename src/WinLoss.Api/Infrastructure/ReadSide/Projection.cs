using System.Data.Common;
using DuckDB.NET.Data;

namespace WinLoss.Api.Infrastructure.ReadSide;

/// <summary>
/// One entity's part of the read side: its tables in the analytical engine and how to fill them from the write store.
/// Register each as <c>services.AddSingleton&lt;Projection, XProjection&gt;()</c>; <see cref="ReadStore"/> replays the
/// change log (<see cref="ChangeLog"/>) through them. Replacing is idempotent: applying the same change twice, or a
/// change whose entity has changed again since, leaves the rows equal to the entity's current state.
/// </summary>
public abstract class Projection
{
    /// <summary>The entity name used in the change log (e.g. "report").</summary>
    public abstract string Entity { get; }

    /// <summary>DDL of this projection's tables in DuckDB (plain CREATE TABLE statements). A change here rebuilds the read side.</summary>
    public abstract string Schema { get; }

    /// <summary>
    /// Replaces the rows of the entities <paramref name="ids"/> with their current state in the write store (none when the
    /// entity is gone or deleted). Reads through <paramref name="source"/> inside <paramref name="sourceTransaction"/> (one
    /// consistent snapshot with the change log); writes through <paramref name="target"/> inside its open transaction.
    /// </summary>
    public abstract void Replace(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, IReadOnlyList<long> ids);

    /// <summary>
    /// Loads every entity (tables are empty); calls <paramref name="progress"/> with the count loaded so far. Returns the count.
    /// Runs outside a transaction on a database no query sees yet, so it may <c>CHECKPOINT</c> between steps (compressing
    /// the rows loaded so far).
    /// </summary>
    public abstract long Rebuild(DbConnection source, DbTransaction sourceTransaction, DuckDBConnection target, Action<long> progress);
}
