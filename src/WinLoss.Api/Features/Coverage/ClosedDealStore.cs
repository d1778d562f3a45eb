using System.Security.Cryptography;
using System.Text;
using Dapper;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.Coverage;

/// <summary>How a recorded closed deal changed what was stored.</summary>
public enum DealChange { Created, Updated, Unchanged }

/// <summary>
/// The SQL that records closed deals and answers whether a deal has a rep's report. Runs inside a
/// <see cref="Writer"/> job. A *rep's report* is a live report that is not a CRM history import
/// (its id is not in crm_import_deals): filed by the rep, or by an analyst on the rep's behalf.
/// </summary>
public static class ClosedDealStore
{
    private const string FindSql = "SELECT id AS Id, row_hash AS RowHash FROM closed_deals WHERE deal_id = @DealId";
    private const string InsertSql =
        """
        INSERT INTO closed_deals (deal_id, outcome, closed_on, rep_id, amount_cents, currency, account_name, competitor,
                                  segment, region, product, source, row_hash, created_at, created_by, updated_at)
        VALUES (@DealId, @Outcome, @ClosedOn, @RepId, @AmountCents, @Currency, @Account, @Competitor,
                @Segment, @Region, @Product, @Source, @Hash, @Now, @By, @Now)
        """;
    private const string UpdateSql =
        """
        UPDATE closed_deals SET outcome = @Outcome, closed_on = @ClosedOn, rep_id = @RepId, amount_cents = @AmountCents,
               currency = @Currency, account_name = @Account, competitor = @Competitor, segment = @Segment, region = @Region,
               product = @Product, source = @Source, row_hash = @Hash, updated_at = @Now
        WHERE id = @Id
        """;

    /// <summary>The live rep's report for a deal (not a CRM import), with what it says.</summary>
    public const string RepReportSql =
        """
        SELECT r.id AS Id, r.outcome AS Outcome, r.rep_id AS RepId FROM reports r
        WHERE r.deal_id = @dealId AND r.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM crm_import_deals i WHERE i.report_id = r.id)
        """;

    /// <summary>A closed deal with its rep and its status (joined to the rep's report, if any).</summary>
    public const string SelectDtoSql =
        """
        SELECT d.id AS Id, d.deal_id AS DealId, d.outcome AS Outcome, d.closed_on AS ClosedOn, d.rep_id AS RepId,
               u.display_name AS RepName, d.amount_cents AS AmountCents, d.currency AS Currency, d.account_name AS Account,
               d.competitor AS Competitor, d.segment AS Segment, d.region AS Region, d.product AS Product, d.source AS Source,
               d.created_at AS CreatedAt, d.updated_at AS UpdatedAt,
               (SELECT r.id FROM reports r WHERE r.deal_id = d.deal_id AND r.deleted_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM crm_import_deals i WHERE i.report_id = r.id)) AS ReportId
        FROM closed_deals d JOIN users u ON u.id = d.rep_id
        """;

    public sealed record RepReport(long Id, string Outcome, long RepId);

    /// <summary>
    /// Records a closed deal (idempotent on its normalised dealId: the same values change nothing, other values update it).
    /// With <paramref name="checkReport"/>, a deal that already has a rep's report saying another outcome or naming another
    /// rep is refused (409): the CRM and the rep disagree, and someone has to correct one of them.
    /// </summary>
    public static (long Id, DealChange Change) Record(DbConnection c, DbTransaction t, ClosedDealRow row, long repId,
        string source, long by, string now, bool checkReport)
    {
        var report = c.QuerySingleOrDefault<RepReport>(RepReportSql, new { dealId = row.DealId }, t);
        if (checkReport && report is not null)
        {
            if (report.Outcome != row.Outcome)
                throw Conflict(row.DealId, report, "outcome", $"Deal '{row.DealId}' already has a rep's report (id {report.Id}) with outcome {report.Outcome}, not {row.Outcome}; correct the CRM or amend the report.");
            if (report.RepId != repId)
                throw Conflict(row.DealId, report, "rep", $"Deal '{row.DealId}' already has a report (id {report.Id}) filed for another rep; correct the CRM or amend the report.");
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(row.Canonical(repId)));
        var existing = c.QuerySingleOrDefault<Existing>(FindSql, new { row.DealId }, t);
        var args = new
        {
            row.DealId, row.Outcome, row.ClosedOn, RepId = repId, row.AmountCents, row.Currency, row.Account, row.Competitor,
            row.Segment, row.Region, row.Product, Source = source, Hash = hash, Now = now, By = by, Id = existing?.Id ?? 0,
        };
        if (existing is null)
        {
            var id = c.Insert(t, InsertSql, args);
            ChangeLog.Record(c, t, ClosedDealProjection.EntityName, id);
            if (report is null) Requested(c, t, row, repId);
            return (id, DealChange.Created);
        }
        if (CryptographicOperations.FixedTimeEquals(existing.RowHash, hash)) return (existing.Id, DealChange.Unchanged);
        c.Execute(UpdateSql, args, t);
        ChangeLog.Record(c, t, ClosedDealProjection.EntityName, existing.Id);
        return (existing.Id, DealChange.Updated);
    }

    /// <summary>report.requested for webhooks (docs/webhooks.md): a new closed deal waits for its rep's report.</summary>
    private static void Requested(DbConnection c, DbTransaction t, ClosedDealRow row, long repId)
    {
        var outcome = row.Outcome.Replace('_', ' ');
        var account = row.Account is null ? "" : ", " + row.Account;
        Webhooks.WebhookOutbox.Raise(c, t, Webhooks.WebhookEvents.ReportRequested, new
        {
            dealId = row.DealId, outcome = row.Outcome, closedOn = row.ClosedOn, repId, account = row.Account,
            amount = ClosedDealRow.Money(row.AmountCents), currency = row.Currency, competitor = row.Competitor,
            summary = $"Please report deal {row.DealId} ({outcome}, closed {row.ClosedOn}{account}).",
            url = "/app/report",
        });
    }

    private static ConflictException Conflict(string dealId, RepReport report, string field, string message) =>
        new(message, new Dictionary<string, object?>
        {
            ["field"] = field, ["dealId"] = dealId, ["existingReportId"] = report.Id, ["existing"] = $"/api/v1/reports/{report.Id}",
        });

    public static ClosedDealDto Read(DbConnection c, DbTransaction? t, long id) =>
        ToDto(c.QuerySingle<Stored>(SelectDtoSql + " WHERE d.id = @id", new { id }, t));

    public static ClosedDealDto ToDto(Stored s) => new()
    {
        Id = s.Id, DealId = s.DealId, Outcome = s.Outcome, ClosedOn = s.ClosedOn, RepId = s.RepId, RepName = s.RepName,
        Amount = ClosedDealRow.Money(s.AmountCents), Currency = s.Currency, Account = s.Account, Competitor = s.Competitor,
        Segment = s.Segment, Region = s.Region, Product = s.Product, Source = s.Source, CreatedAt = s.CreatedAt, UpdatedAt = s.UpdatedAt,
        Status = s.ReportId is null ? "waiting" : "reported", ReportId = s.ReportId,
    };

    private sealed class Existing
    {
        public long Id { get; init; }
        public byte[] RowHash { get; init; } = [];
    }

    public sealed class Stored
    {
        public long Id { get; init; }
        public string DealId { get; init; } = "";
        public string Outcome { get; init; } = "";
        public string ClosedOn { get; init; } = "";
        public long RepId { get; init; }
        public string RepName { get; init; } = "";
        public long? AmountCents { get; init; }
        public string? Currency { get; init; }
        public string? Account { get; init; }
        public string? Competitor { get; init; }
        public string? Segment { get; init; }
        public string? Region { get; init; }
        public string? Product { get; init; }
        public string Source { get; init; } = "";
        public string CreatedAt { get; init; } = "";
        public string UpdatedAt { get; init; } = "";
        public long? ReportId { get; init; }
    }
}

/// <summary>
/// The two hooks other write paths call (one line each), inside their write transaction.
/// </summary>
public static class ReportRequests
{
    // From the import's record of the deal (rarely there) to its report by id: the filing path reads no range of the
    // reports' deal index, which every concurrent filing writes to (on PostgreSQL, SERIALIZABLE, such a read makes
    // concurrent filings conflict).
    private const string ImportedReportSql =
        """
        SELECT r.id FROM crm_import_deals i JOIN reports r ON r.id = i.report_id
        WHERE i.deal_id = @dealId AND r.deal_id = @dealId AND r.deleted_at IS NULL AND r.rep_id = @repId
        """;
    private const string SupersedeSql =
        "UPDATE reports SET deleted_at = @now, deleted_by = @by, delete_reason = @reason WHERE id = @id";
    public const string SupersededReason = "Superseded by the rep's report for this deal.";

    /// <summary>
    /// Filing path (FileReport), before the report is inserted: if the deal's only live report is its CRM history import
    /// for the same rep, that import is soft-deleted (kept, with this reason) so the rep's report takes its place — the
    /// request waiting for it closes, and trends count the deal once, with what the rep said.
    /// </summary>
    public static void BeforeRepReport(DbConnection c, DbTransaction t, string dealId, long repId, long by)
    {
        var imported = c.Scalar<long?>(t, ImportedReportSql, new { dealId, repId });
        if (imported is null) return;
        Reports.ReportEvents.Removing(c, t, imported.Value);
        c.Exec(t, SupersedeSql, new { id = imported.Value, now = Clock.Now(), by, reason = SupersededReason });
    }

    /// <summary>
    /// CRM import path, for every closed row it writes: the deal becomes a known closed deal (waiting for its rep's report until one is filed).
    /// Recorded in the change log even when the deal's values are unchanged: the import may have just linked its own
    /// report to the deal (crm_import_deals), which the read side needs to tell it from a rep's report.
    /// </summary>
    public static void Imported(DbConnection c, DbTransaction t, Reports.ReportInput row, long repId, long by, string now)
    {
        var (id, change) = ClosedDealStore.Record(c, t, ClosedDealRow.From(row), repId, "crm_import", by, now, checkReport: false);
        if (change == DealChange.Unchanged) ChangeLog.Record(c, t, ClosedDealProjection.EntityName, id);
    }
}
