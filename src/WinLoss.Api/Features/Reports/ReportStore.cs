using System.Data.Common;
using System.Text.Json;
using Dapper;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// The SQL that writes a report's row, child rows and version snapshot, and reads a report back.
/// Shared by filing, amending and importing, which all store the same shape.
/// Write methods run inside a <see cref="Infrastructure.Database.Writer"/> job (one transaction).
/// </summary>
public static class ReportStore
{
    private const string InsertReportSql =
        """
        INSERT INTO reports (deal_id, rep_id, outcome, closed_on, amount_cents, currency, segment, stage_reached,
                             region, industry, product, account_name, lead_source, lead_quality, notes,
                             version, created_at, created_by, updated_at)
        VALUES (@DealId, @RepId, @Outcome, @ClosedOn, @AmountCents, @Currency, @Segment, @StageReached,
                @Region, @Industry, @Product, @AccountName, @LeadSource, @LeadQuality, @Notes,
                1, @Now, @CreatedBy, @Now)
        """;

    private const string UpdateReportSql =
        """
        UPDATE reports SET deal_id = @DealId, rep_id = @RepId, outcome = @Outcome, closed_on = @ClosedOn,
               amount_cents = @AmountCents, currency = @Currency, segment = @Segment, stage_reached = @StageReached,
               region = @Region, industry = @Industry, product = @Product, account_name = @AccountName,
               lead_source = @LeadSource, lead_quality = @LeadQuality, notes = @Notes,
               version = version + 1, updated_at = @Now
        WHERE id = @Id
        """;

    private const string DeleteChildrenSql =
        """
        DELETE FROM report_competitors WHERE report_id = @id;
        DELETE FROM report_reasons WHERE report_id = @id;
        DELETE FROM report_objections WHERE report_id = @id;
        DELETE FROM report_messages WHERE report_id = @id;
        DELETE FROM report_collateral WHERE report_id = @id;
        """;

    private const string InsertCompetitorSql =
        "INSERT INTO report_competitors (report_id, position, name, normalized, competitor_id, is_primary) VALUES (@ReportId, @Position, @Name, @Normalized, @CompetitorId, @Primary)";
    private const string InsertReasonSql =
        "INSERT INTO report_reasons (report_id, position, category, detail, is_primary) VALUES (@ReportId, @Position, @Category, @Detail, @Primary)";
    private const string InsertObjectionSql =
        "INSERT INTO report_objections (report_id, position, category, competitor, competitor_normalized, competitor_id, text, overcome) VALUES (@ReportId, @Position, @Category, @Competitor, @CompetitorNormalized, @CompetitorId, @Text, @Overcome)";
    private const string InsertMessageSql =
        "INSERT INTO report_messages (report_id, position, message_id, resonance) VALUES (@ReportId, @Position, @MessageId, @Resonance)";
    private const string InsertCollateralSql =
        "INSERT INTO report_collateral (report_id, position, collateral_id) VALUES (@ReportId, @Position, @CollateralId)";
    private const string InsertVersionSql =
        "INSERT INTO report_versions (report_id, version, body, changed_at, changed_by) VALUES (@ReportId, @Version, @Body, @Now, @By)";
    private const string ResolveCompetitorSql =
        "SELECT competitor_id FROM competitor_aliases WHERE normalized = @normalized";
    private const string RoleSql = "SELECT role FROM users WHERE id = @id";
    private const string LiveDealSql =
        "SELECT id AS Id, rep_id AS RepId FROM reports WHERE deal_id = @dealId AND deleted_at IS NULL";

    /// <summary>The stored form of the report row: trimmed text, cents.</summary>
    public sealed record Row(
        string DealId, long RepId, string Outcome, string ClosedOn, long? AmountCents, string? Currency,
        string? Segment, string? StageReached, string? Region, string? Industry, string? Product, string? AccountName,
        string? LeadSource, int? LeadQuality, string? Notes);

    public sealed record PreparedCompetitor(string Name, string Normalized, bool Primary);
    public sealed record PreparedReason(string Category, string? Detail, bool Primary);
    public sealed record PreparedObjection(string Category, string? Competitor, string? Normalized, string? Text, bool Overcome);

    /// <summary>
    /// A validated input in the form it is stored (row, child rows with matching keys).
    /// Needs no database, so request threads compute it before the write job: the single writer only runs SQL.
    /// </summary>
    public sealed class Prepared
    {
        public required Row Row { get; init; }
        public required List<PreparedCompetitor> Competitors { get; init; }
        public required List<PreparedReason> Reasons { get; init; }
        public required List<PreparedObjection> Objections { get; init; }
        public required List<ReportMessageDto> Messages { get; init; }
        public required List<string> Collateral { get; init; }
    }

    public static Prepared Prepare(ReportInput input, long repId) => new()
    {
        Row = new Row(
            ReportRules.NormalizeDealId(input.DealId)!, repId, input.Outcome!, input.ClosedOn!,
            input.Amount is null ? null : (long)decimal.Round(input.Amount.Value * 100m),
            input.Currency, input.Segment, input.StageReached,
            ReportRules.Clean(input.Region), ReportRules.Clean(input.Industry), ReportRules.Clean(input.Product),
            ReportRules.Clean(input.AccountName), ReportRules.Clean(input.LeadSource), input.LeadQuality,
            ReportRules.Clean(input.Notes)),
        Competitors = (input.Competitors ?? []).Select(x =>
        {
            var name = x!.Name!.Trim();
            return new PreparedCompetitor(name, CompetitorNames.Normalize(name), x.Primary == true);
        }).ToList(),
        Reasons = (input.Reasons ?? []).Select(r => new PreparedReason(r!.Category!, ReportRules.Clean(r.Detail), r.Primary == true)).ToList(),
        Objections = (input.Objections ?? []).Select(o =>
        {
            var competitor = ReportRules.Clean(o!.Competitor);
            return new PreparedObjection(o.Category!, competitor, competitor is null ? null : CompetitorNames.Normalize(competitor),
                ReportRules.Clean(o.Text), o.Overcome == true);
        }).ToList(),
        Messages = (input.Messages ?? []).Select(m => new ReportMessageDto(m!.MessageId!, m.Resonance!)).ToList(),
        Collateral = (input.CollateralUsed ?? []).Select(x => x!).ToList(),
    };

    /// <summary>
    /// Runs a write that may hit the one-live-report-per-deal unique index; turns that violation into a
    /// <see cref="DealTakenException"/> (a 409; cheaper than checking first on every insert).
    /// </summary>
    private static T DealMustBeFree<T>(DbConnection c, DbTransaction t, string dealId, Func<T> write)
    {
        var dialect = Dialect.Of(c);
        // PostgreSQL aborts the transaction on the violation: the write runs in a savepoint there (SQLite needs none).
        if (dialect.FailureAbortsTransaction) t.Save("deal_free");
        try
        {
            var result = write();
            if (dialect.FailureAbortsTransaction) t.Release("deal_free");
            return result;
        }
        catch (Exception ex) when (dialect.IsUniqueViolation(ex, LiveDealKey))
        {
            if (dialect.FailureAbortsTransaction) t.Rollback("deal_free");
            var existing = c.QueryFirstOrDefault<LiveDeal>(LiveDealSql, new { dealId }, t);
            throw new DealTakenException(dealId, existing?.Id, existing?.RepId);
        }
    }

    private static readonly Dialect.UniqueKey LiveDealKey = new("ux_reports_deal", "reports.deal_id");

    private sealed class LiveDeal { public long Id { get; init; } public long RepId { get; init; } }

    /// <summary>A report belongs to a rep: filing or moving one to <paramref name="repId"/> needs a user with role rep (else 400).</summary>
    public static void EnsureRep(DbConnection c, DbTransaction t, long repId)
    {
        if (c.Scalar<string>(t, RoleSql, new { id = repId }) != Infrastructure.Auth.Roles.Rep)
            throw Invalid.Field("repId", $"No rep with id {repId}.");
    }

    public static ReportDto Insert(DbConnection c, DbTransaction t, ReportInput input, long repId, long createdBy, string now) =>
        Insert(c, t, Prepare(input, repId), createdBy, now, out _);

    /// <summary>
    /// Stores a new report (version 1); <paramref name="json"/> is the report as stored in its version snapshot (UTF-8 JSON of the returned report: the 201 body).
    /// </summary>
    public static ReportDto Insert(DbConnection c, DbTransaction t, Prepared report, long createdBy, string now,
        out byte[] json)
    {
        var row = report.Row;
        var id = DealMustBeFree(c, t, row.DealId, () => c.Insert(t, InsertReportSql, new
        {
            row.DealId, row.RepId, row.Outcome, row.ClosedOn, row.AmountCents, row.Currency, row.Segment, row.StageReached,
            row.Region, row.Industry, row.Product, row.AccountName, row.LeadSource, row.LeadQuality, row.Notes,
            Now = now, CreatedBy = createdBy,
        }));
        var dto = WriteChildren(c, t, id, report, version: 1, createdAt: now, updatedAt: now, createdBy);
        json = ReportJson.Utf8(dto);
        c.Exec(t, InsertVersionSql, new { ReportId = id, Version = 1, Body = new Utf8Text(json), Now = now, By = createdBy });
        return dto;
    }

    /// <summary>Overwrites a live report with a new version.</summary>
    public static ReportDto Replace(DbConnection c, DbTransaction t, long id, ReportInput input, long repId,
        int newVersion, string createdAt, long createdBy, long changedBy, string now)
    {
        var report = Prepare(input, repId);
        var row = report.Row;
        DealMustBeFree(c, t, row.DealId, () => c.Exec(t, UpdateReportSql, new
        {
            Id = id, row.DealId, row.RepId, row.Outcome, row.ClosedOn, row.AmountCents, row.Currency, row.Segment, row.StageReached,
            row.Region, row.Industry, row.Product, row.AccountName, row.LeadSource, row.LeadQuality, row.Notes, Now = now,
        }));
        c.Exec(t, DeleteChildrenSql, new { id });
        var dto = WriteChildren(c, t, id, report, newVersion, createdAt, now, createdBy);
        c.Exec(t, InsertVersionSql, new { ReportId = id, Version = newVersion, Body = new Utf8Text(ReportJson.Utf8(dto)), Now = now, By = changedBy });
        return dto;
    }

    /// <summary>Writes the child rows (resolving competitor names to catalogue ids) and returns the report as stored.</summary>
    private static ReportDto WriteChildren(DbConnection c, DbTransaction t, long reportId, Prepared report,
        int version, string createdAt, string updatedAt, long createdBy)
    {
        var row = report.Row;
        var competitors = new List<ReportCompetitorDto>(report.Competitors.Count);
        var seenIds = new Dictionary<long, int>();
        for (var i = 0; i < report.Competitors.Count; i++)
        {
            var (name, normalized, primary) = report.Competitors[i];
            var competitorId = c.Scalar<long?>(t, ResolveCompetitorSql, new { normalized });
            if (competitorId is { } cid && !seenIds.TryAdd(cid, i))
                throw Invalid.Field($"competitors[{i}].name", $"Same competitor as competitors[{seenIds[cid]}] (an alias of it).");
            c.Exec(t, InsertCompetitorSql, new { ReportId = reportId, Position = i, Name = name, Normalized = normalized, CompetitorId = competitorId, Primary = primary ? 1L : 0L });
            competitors.Add(new ReportCompetitorDto(name, competitorId, competitorId is not null, primary));
        }

        var reasons = new List<ReportReasonDto>(report.Reasons.Count);
        for (var i = 0; i < report.Reasons.Count; i++)
        {
            var (category, detail, primary) = report.Reasons[i];
            c.Exec(t, InsertReasonSql, new { ReportId = reportId, Position = i, Category = category, Detail = detail, Primary = primary ? 1L : 0L });
            reasons.Add(new ReportReasonDto(category, detail, primary));
        }

        var objections = new List<ReportObjectionDto>(report.Objections.Count);
        for (var i = 0; i < report.Objections.Count; i++)
        {
            var (category, competitor, normalized, text, overcome) = report.Objections[i];
            var competitorId = string.IsNullOrEmpty(normalized) ? null : c.Scalar<long?>(t, ResolveCompetitorSql, new { normalized });
            c.Exec(t, InsertObjectionSql, new
            {
                ReportId = reportId, Position = i, Category = category, Competitor = competitor, CompetitorNormalized = normalized,
                CompetitorId = competitorId, Text = text, Overcome = overcome ? 1L : 0L,
            });
            objections.Add(new ReportObjectionDto(category, competitor, competitorId, text, overcome));
        }

        for (var i = 0; i < report.Messages.Count; i++)
        {
            var m = report.Messages[i];
            c.Exec(t, InsertMessageSql, new { ReportId = reportId, Position = i, m.MessageId, m.Resonance });
        }

        for (var i = 0; i < report.Collateral.Count; i++)
        {
            c.Exec(t, InsertCollateralSql, new { ReportId = reportId, Position = i, CollateralId = report.Collateral[i] });
        }
        return Dto(reportId, row, competitors, reasons, objections, report.Messages, report.Collateral, version, createdAt, updatedAt, createdBy);
    }

    private static ReportDto Dto(long id, Row row, List<ReportCompetitorDto> competitors, List<ReportReasonDto> reasons,
        List<ReportObjectionDto> objections, List<ReportMessageDto> messages, List<string> collateral,
        int version, string createdAt, string updatedAt, long createdBy) => new()
        {
            Id = id, DealId = row.DealId, Outcome = row.Outcome, ClosedOn = row.ClosedOn,
            Amount = row.AmountCents is null ? null : row.AmountCents.Value / 100m, Currency = row.Currency,
            Segment = row.Segment, StageReached = row.StageReached, Region = row.Region, Industry = row.Industry,
            Product = row.Product, AccountName = row.AccountName,
            Competitors = competitors, Reasons = reasons, Objections = objections, Messages = messages, CollateralUsed = collateral,
            LeadSource = row.LeadSource, LeadQuality = row.LeadQuality, Notes = row.Notes,
            RepId = row.RepId, Version = version, CreatedAt = createdAt, UpdatedAt = updatedAt, CreatedBy = createdBy,
        };

    private const string LoadSql =
        """
        SELECT id AS Id, deal_id AS DealId, rep_id AS RepId, outcome AS Outcome, closed_on AS ClosedOn,
               amount_cents AS AmountCents, currency AS Currency, segment AS Segment, stage_reached AS StageReached,
               region AS Region, industry AS Industry, product AS Product, account_name AS AccountName,
               lead_source AS LeadSource, lead_quality AS LeadQuality, notes AS Notes, version AS Version,
               created_at AS CreatedAt, created_by AS CreatedBy, updated_at AS UpdatedAt,
               deleted_at AS DeletedAt, delete_reason AS DeleteReason
        FROM reports WHERE id = @id;
        SELECT name AS Name, competitor_id AS CompetitorId, competitor_id IS NOT NULL AS Matched, is_primary AS "Primary"
        FROM report_competitors WHERE report_id = @id ORDER BY position;
        SELECT category AS Category, detail AS Detail, is_primary AS "Primary"
        FROM report_reasons WHERE report_id = @id ORDER BY position;
        SELECT category AS Category, competitor AS Competitor, competitor_id AS CompetitorId, text AS Text, overcome AS Overcome
        FROM report_objections WHERE report_id = @id ORDER BY position;
        SELECT message_id AS MessageId, resonance AS Resonance FROM report_messages WHERE report_id = @id ORDER BY position;
        SELECT collateral_id FROM report_collateral WHERE report_id = @id ORDER BY position;
        """;

    /// <summary>The report row as stored (for ownership and version checks), or null.</summary>
    public sealed class StoredRow
    {
        public long Id { get; init; }
        public string DealId { get; init; } = "";
        public long RepId { get; init; }
        public string Outcome { get; init; } = "";
        public string ClosedOn { get; init; } = "";
        public long? AmountCents { get; init; }
        public string? Currency { get; init; }
        public string? Segment { get; init; }
        public string? StageReached { get; init; }
        public string? Region { get; init; }
        public string? Industry { get; init; }
        public string? Product { get; init; }
        public string? AccountName { get; init; }
        public string? LeadSource { get; init; }
        public long? LeadQuality { get; init; }
        public string? Notes { get; init; }
        public long Version { get; init; }
        public string CreatedAt { get; init; } = "";
        public long CreatedBy { get; init; }
        public string UpdatedAt { get; init; } = "";
        public string? DeletedAt { get; init; }
        public string? DeleteReason { get; init; }
    }

    private sealed class CompetitorRow { public string Name { get; init; } = ""; public long? CompetitorId { get; init; } public bool Matched { get; init; } public bool Primary { get; init; } }
    private sealed class ReasonRow { public string Category { get; init; } = ""; public string? Detail { get; init; } public bool Primary { get; init; } }
    private sealed class ObjectionRow { public string Category { get; init; } = ""; public string? Competitor { get; init; } public long? CompetitorId { get; init; } public string? Text { get; init; } public bool Overcome { get; init; } }
    private sealed class MessageRow { public string MessageId { get; init; } = ""; public string Resonance { get; init; } = ""; }

    public static ReportDto? Load(DbConnection c, long id, DbTransaction? t = null)
    {
        using var grid = c.QueryMultiple(LoadSql, new { id }, t);
        var r = grid.ReadSingleOrDefault<StoredRow>();
        if (r is null) return null;
        var competitors = grid.Read<CompetitorRow>().Select(x => new ReportCompetitorDto(x.Name, x.CompetitorId, x.Matched, x.Primary)).ToList();
        var reasons = grid.Read<ReasonRow>().Select(x => new ReportReasonDto(x.Category, x.Detail, x.Primary)).ToList();
        var objections = grid.Read<ObjectionRow>().Select(x => new ReportObjectionDto(x.Category, x.Competitor, x.CompetitorId, x.Text, x.Overcome)).ToList();
        var messages = grid.Read<MessageRow>().Select(x => new ReportMessageDto(x.MessageId, x.Resonance)).ToList();
        var collateral = grid.Read<string>().ToList();
        return new ReportDto
        {
            Id = r.Id, DealId = r.DealId, Outcome = r.Outcome, ClosedOn = r.ClosedOn,
            Amount = r.AmountCents is null ? null : r.AmountCents.Value / 100m, Currency = r.Currency,
            Segment = r.Segment, StageReached = r.StageReached, Region = r.Region, Industry = r.Industry,
            Product = r.Product, AccountName = r.AccountName,
            Competitors = competitors, Reasons = reasons, Objections = objections, Messages = messages, CollateralUsed = collateral,
            LeadSource = r.LeadSource, LeadQuality = (int?)r.LeadQuality, Notes = r.Notes, RepId = r.RepId,
            Version = (int)r.Version, CreatedAt = r.CreatedAt, UpdatedAt = r.UpdatedAt, CreatedBy = r.CreatedBy,
            DeletedAt = r.DeletedAt, DeleteReason = r.DeleteReason,
        };
    }

    /// <summary>ETag of a report version: strong, opaque, changes on every amendment.</summary>
    public static string ETag(long id, int version) => $"\"r{id}v{version}\"";
}

/// <summary>
/// A second live report for a deal: 409. As thrown it names no report; <see cref="For"/> adds the existing report's id and
/// link only for a caller who may read that report (a rep only their own), so a rep learns that the deal is taken
/// but nothing about another rep's report.
/// </summary>
public sealed class DealTakenException(string dealId, long? existingId, long? existingRepId)
    : ProblemException(StatusCodes.Status409Conflict, "Conflict", $"A report for deal '{dealId}' already exists.")
{
    /// <summary>Tells a taken deal (act on it) from an Idempotency-Key still in flight (retry): the offline form's outbox uses it.</summary>
    public const string Code = "deal_taken";

    public long? ExistingId { get; } = existingId;
    public long? ExistingRepId { get; } = existingRepId;

    public ProblemException For(Infrastructure.Auth.Caller caller)
    {
        if (ExistingId is not { } id || (caller.IsRep && ExistingRepId != caller.UserId))
            return new ConflictException(Detail + " It is not one you can see; ask an analyst.", new Dictionary<string, object?> { ["code"] = Code });
        return new ConflictException(Detail, new Dictionary<string, object?>
        {
            ["code"] = Code,
            ["existingReportId"] = id,
            ["existing"] = $"/api/v1/reports/{id}",
        });
    }
}
