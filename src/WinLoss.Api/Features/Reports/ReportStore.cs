using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using WinLoss.Api.Features.Competitors;
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
        RETURNING id
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
        "SELECT id FROM reports WHERE deal_id = @dealId AND deleted_at IS NULL";

    /// <summary>The stored form of an input: trimmed text, cents, resolved competitors.</summary>
    public sealed record Row(
        string DealId, long RepId, string Outcome, string ClosedOn, long? AmountCents, string? Currency,
        string? Segment, string? StageReached, string? Region, string? Industry, string? Product, string? AccountName,
        string? LeadSource, int? LeadQuality, string? Notes);

    public static Row ToRow(ReportInput input, long repId) => new(
        input.DealId!.Trim(), repId, input.Outcome!, input.ClosedOn!,
        input.Amount is null ? null : (long)decimal.Round(input.Amount.Value * 100m),
        input.Currency, input.Segment, input.StageReached,
        ReportRules.Clean(input.Region), ReportRules.Clean(input.Industry), ReportRules.Clean(input.Product),
        ReportRules.Clean(input.AccountName), ReportRules.Clean(input.LeadSource), input.LeadQuality,
        ReportRules.Clean(input.Notes));

    /// <summary>
    /// Runs a write that may hit the one-live-report-per-deal unique index; turns that violation into a 409
    /// with a link to the existing report (cheaper than checking first on every insert).
    /// </summary>
    private static T DealMustBeFree<T>(SqliteConnection c, SqliteTransaction t, string dealId, Func<T> write)
    {
        try
        {
            return write();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.Message.Contains("reports.deal_id", StringComparison.Ordinal))
        {
            var existing = c.Scalar<long?>(t, LiveDealSql, new { dealId });
            throw new ConflictException($"A report for deal '{dealId}' already exists.", new Dictionary<string, object?>
            {
                ["existingReportId"] = existing,
                ["existing"] = $"/api/v1/reports/{existing}",
            });
        }
    }

    /// <summary>A report belongs to a rep: filing or moving one to <paramref name="repId"/> needs a user with role rep (else 400).</summary>
    public static void EnsureRep(SqliteConnection c, SqliteTransaction t, long repId)
    {
        if (c.Scalar<string>(t, RoleSql, new { id = repId }) != Infrastructure.Auth.Roles.Rep)
            throw Invalid.Field("repId", $"No rep with id {repId}.");
    }

    public static ReportDto Insert(SqliteConnection c, SqliteTransaction t, ReportInput input, long repId, long createdBy, string now)
    {
        var row = ToRow(input, repId);
        var id = DealMustBeFree(c, t, row.DealId, () => c.Scalar<long>(t, InsertReportSql, new
        {
            row.DealId, row.RepId, row.Outcome, row.ClosedOn, row.AmountCents, row.Currency, row.Segment, row.StageReached,
            row.Region, row.Industry, row.Product, row.AccountName, row.LeadSource, row.LeadQuality, row.Notes,
            Now = now, CreatedBy = createdBy,
        }));
        var children = WriteChildren(c, t, id, input);
        WriteVersion(c, t, id, 1, input, repId, now, createdBy);
        return Dto(id, row, children, version: 1, createdAt: now, updatedAt: now, createdBy);
    }

    public static ReportDto Replace(SqliteConnection c, SqliteTransaction t, long id, ReportInput input, long repId,
        int newVersion, string createdAt, long createdBy, long changedBy, string now)
    {
        var row = ToRow(input, repId);
        DealMustBeFree(c, t, row.DealId, () => c.Exec(t, UpdateReportSql, new
        {
            Id = id, row.DealId, row.RepId, row.Outcome, row.ClosedOn, row.AmountCents, row.Currency, row.Segment, row.StageReached,
            row.Region, row.Industry, row.Product, row.AccountName, row.LeadSource, row.LeadQuality, row.Notes, Now = now,
        }));
        c.Exec(t, DeleteChildrenSql, new { id });
        var children = WriteChildren(c, t, id, input);
        WriteVersion(c, t, id, newVersion, input, repId, now, changedBy);
        return Dto(id, row, children, newVersion, createdAt, now, createdBy);
    }

    private sealed record Children(
        List<ReportCompetitorDto> Competitors, List<ReportReasonDto> Reasons, List<ReportObjectionDto> Objections,
        List<ReportMessageDto> Messages, List<string> Collateral);

    private static Children WriteChildren(SqliteConnection c, SqliteTransaction t, long reportId, ReportInput input)
    {
        var competitors = new List<ReportCompetitorDto>();
        var seenIds = new Dictionary<long, int>();
        var list = input.Competitors ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var name = list[i]!.Name!.Trim();
            var normalized = CompetitorNames.Normalize(name);
            var competitorId = c.Scalar<long?>(t, ResolveCompetitorSql, new { normalized });
            if (competitorId is { } cid && !seenIds.TryAdd(cid, i))
                throw Invalid.Field($"competitors[{i}].name", $"Same competitor as competitors[{seenIds[cid]}] (an alias of it).");
            var primary = list[i]!.Primary == true;
            c.Exec(t, InsertCompetitorSql, new { ReportId = reportId, Position = i, Name = name, Normalized = normalized, CompetitorId = competitorId, Primary = primary });
            competitors.Add(new ReportCompetitorDto(name, competitorId, competitorId is not null, primary));
        }

        var reasons = new List<ReportReasonDto>();
        var reasonList = input.Reasons ?? [];
        for (var i = 0; i < reasonList.Count; i++)
        {
            var r = reasonList[i]!;
            var detail = ReportRules.Clean(r.Detail);
            c.Exec(t, InsertReasonSql, new { ReportId = reportId, Position = i, r.Category, Detail = detail, Primary = r.Primary == true });
            reasons.Add(new ReportReasonDto(r.Category!, detail, r.Primary == true));
        }

        var objections = new List<ReportObjectionDto>();
        var objectionList = input.Objections ?? [];
        for (var i = 0; i < objectionList.Count; i++)
        {
            var o = objectionList[i]!;
            var competitor = ReportRules.Clean(o.Competitor);
            var normalized = competitor is null ? null : CompetitorNames.Normalize(competitor);
            var competitorId = string.IsNullOrEmpty(normalized) ? null : c.Scalar<long?>(t, ResolveCompetitorSql, new { normalized });
            var text = ReportRules.Clean(o.Text);
            c.Exec(t, InsertObjectionSql, new
            {
                ReportId = reportId, Position = i, o.Category, Competitor = competitor, CompetitorNormalized = normalized,
                CompetitorId = competitorId, Text = text, Overcome = o.Overcome == true,
            });
            objections.Add(new ReportObjectionDto(o.Category!, competitor, competitorId, text, o.Overcome == true));
        }

        var messages = new List<ReportMessageDto>();
        var messageList = input.Messages ?? [];
        for (var i = 0; i < messageList.Count; i++)
        {
            var m = messageList[i]!;
            c.Exec(t, InsertMessageSql, new { ReportId = reportId, Position = i, m.MessageId, m.Resonance });
            messages.Add(new ReportMessageDto(m.MessageId!, m.Resonance!));
        }

        var collateral = new List<string>();
        var collateralList = input.CollateralUsed ?? [];
        for (var i = 0; i < collateralList.Count; i++)
        {
            c.Exec(t, InsertCollateralSql, new { ReportId = reportId, Position = i, CollateralId = collateralList[i] });
            collateral.Add(collateralList[i]!);
        }
        return new Children(competitors, reasons, objections, messages, collateral);
    }

    private static void WriteVersion(SqliteConnection c, SqliteTransaction t, long reportId, int version, ReportInput input, long repId, string now, long by)
    {
        var body = JsonSerializer.Serialize(input with { RepId = repId }, JsonBody.Options);
        c.Exec(t, InsertVersionSql, new { ReportId = reportId, Version = version, Body = body, Now = now, By = by });
    }

    private static ReportDto Dto(long id, Row row, Children children, int version, string createdAt, string updatedAt, long createdBy) => new()
    {
        Id = id, DealId = row.DealId, Outcome = row.Outcome, ClosedOn = row.ClosedOn,
        Amount = row.AmountCents is null ? null : row.AmountCents.Value / 100m, Currency = row.Currency,
        Segment = row.Segment, StageReached = row.StageReached, Region = row.Region, Industry = row.Industry,
        Product = row.Product, AccountName = row.AccountName,
        Competitors = children.Competitors, Reasons = children.Reasons, Objections = children.Objections,
        Messages = children.Messages, CollateralUsed = children.Collateral,
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

    public static ReportDto? Load(SqliteConnection c, long id, SqliteTransaction? t = null)
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
