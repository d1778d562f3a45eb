using Microsoft.Data.Sqlite;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// Called inside the write transaction whenever a report's stored state changes (filed, amended, deleted,
/// re-attributed, imported): records the change in the change log that feeds the read side, atomically with the write.
/// </summary>
public static class ReportEvents
{
    /// <summary>Before a report changes or is deleted.</summary>
    public static void Removing(SqliteConnection connection, SqliteTransaction transaction, long reportId) =>
        ChangeLog.Record(connection, transaction, ChangeLog.Report, reportId);

    /// <summary>After a report was written.</summary>
    public static void Written(SqliteConnection connection, SqliteTransaction transaction, long reportId) =>
        ChangeLog.Record(connection, transaction, ChangeLog.Report, reportId);

    /// <summary>After a report was written by <see cref="ReportStore"/>, which returned what was stored.</summary>
    public static void Written(SqliteConnection connection, SqliteTransaction transaction, ReportSnapshot written) =>
        ChangeLog.Record(connection, transaction, ChangeLog.Report, written.Id);
}

/// <summary>A report as the writer stored it (what ReportStore hands back to its caller).</summary>
public sealed class ReportSnapshot
{
    public long Id { get; init; }
    public long RepId { get; init; }
    public string Outcome { get; init; } = "";
    public DateOnly ClosedOn { get; init; }
    public long? AmountCents { get; init; }
    public string? Currency { get; init; }
    public string? Segment { get; init; }
    public string? Region { get; init; }
    public string? Product { get; init; }
    public string? Industry { get; init; }
    public string? Stage { get; init; }
    public string? LeadSource { get; init; }
    public long? LeadQuality { get; init; }
    public List<(string Key, bool Primary)> Competitors { get; } = [];
    public List<(string Category, bool Primary)> Reasons { get; } = [];
    public List<(string Category, string Competitor, bool Overcome)> Objections { get; } = [];
    public List<(string MessageId, string Resonance)> Messages { get; } = [];
    public List<string> Collateral { get; } = [];
}

