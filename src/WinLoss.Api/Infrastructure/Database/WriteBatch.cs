using Microsoft.Data.Sqlite;

namespace WinLoss.Api.Infrastructure.Database;

/// <summary>
/// State that lives for one group-commit batch of the <see cref="Writer"/>. A read model can stage the
/// deltas of each job here and apply their sum once, just before the batch's COMMIT: a batch of 100
/// reports from the same weeks touches each aggregate row once instead of 100 times. Job boundaries are
/// respected: a job that fails (and is rolled back to its savepoint) has its staged deltas dropped.
/// </summary>
public sealed class WriteBatch
{
    [ThreadStatic] private static WriteBatch? _current;
    private readonly List<BatchState> _states = [];
    private readonly bool _jobsRollBackAlone;

    private WriteBatch(bool jobsRollBackAlone) => _jobsRollBackAlone = jobsRollBackAlone;

    /// <summary>The batch the writer thread is running now; null outside writer jobs.</summary>
    public static WriteBatch? Current => _current;

    public T State<T>() where T : BatchState, new()
    {
        foreach (var state in _states)
            if (state is T typed) return typed;
        var created = new T { StagePerJob = _jobsRollBackAlone };
        _states.Add(created);
        return created;
    }

    /// <summary>
    /// Starts a batch. With <paramref name="jobsRollBackAlone"/> false (no savepoints) a failing job rolls back the
    /// whole batch, so states may stage straight into the batch instead of per job.
    /// </summary>
    internal static WriteBatch Begin(bool jobsRollBackAlone) => _current = new WriteBatch(jobsRollBackAlone);
    internal static void End() => _current = null;

    internal void JobSucceeded() { foreach (var s in _states) s.JobSucceeded(); }
    internal void JobFailed() { foreach (var s in _states) s.JobFailed(); }
    internal void BeforeCommit(SqliteConnection c, SqliteTransaction t) { foreach (var s in _states) s.BeforeCommit(c, t); }
}

/// <summary>Per-batch state of one read model (see <see cref="WriteBatch"/>).</summary>
public abstract class BatchState
{
    /// <summary>
    /// True when a job of this batch can be rolled back alone (its savepoint), so what it stages must be kept apart
    /// until <see cref="JobSucceeded"/>; false when any failure discards the whole batch and its states.
    /// </summary>
    protected internal bool StagePerJob { get; internal set; } = true;

    /// <summary>The job's staged work becomes part of the batch.</summary>
    protected internal abstract void JobSucceeded();

    /// <summary>The job was rolled back: drop what it staged.</summary>
    protected internal abstract void JobFailed();

    /// <summary>Apply the batch's staged work inside its transaction, before COMMIT.</summary>
    protected internal abstract void BeforeCommit(SqliteConnection c, SqliteTransaction t);
}
