using System.Data.Common;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// Called inside the write transaction whenever a report's stored state changes (filed, amended, deleted,
/// re-attributed, imported): records the change in the change log that feeds the read side, atomically with the write.
/// </summary>
public static class ReportEvents
{
    /// <summary>A report is being deleted (one change row: the projector finds it gone and drops its rows).</summary>
    public static void Removing(DbConnection connection, DbTransaction transaction, long reportId) =>
        ChangeLog.Record(connection, transaction, ChangeLog.Report, reportId);

    /// <summary>A report was filed, amended or re-attributed (one change row per report per write).</summary>
    public static void Written(DbConnection connection, DbTransaction transaction, long reportId) =>
        ChangeLog.Record(connection, transaction, ChangeLog.Report, reportId);
}
