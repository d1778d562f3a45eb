using System.Runtime.CompilerServices;
using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Exports;

/// <summary>
/// Every live report matching the filters, one row per report, oldest id first: the rows of one unbuffered query
/// (child rows pre-joined per report in SQL), which <see cref="ExportStream"/> writes to the response as they are read
/// (memory flat in the number of rows) and audits.
/// </summary>
public sealed record ExportReports(ExportFilter Filter, string Format) : IQuery<IAsyncEnumerable<ExportReportRow>>;

public sealed class ExportReportsValidator : AbstractValidator<ExportReports>
{
    public ExportReportsValidator(ExportFilterValidator filter) =>
        RuleFor(x => x).Custom((query, context) =>
        {
            foreach (var failure in filter.Validate(query.Filter).Errors) context.AddFailure(failure);
            if (!ExportOutput.Formats.Contains(query.Format)) context.AddFailure("format", "format must be csv or jsonl.");
        });
}

public sealed class ExportReportsHandler(Db db) : IQueryHandler<ExportReports, IAsyncEnumerable<ExportReportRow>>
{
    /// <summary>The documented column order (README, OpenAPI). Never reorder; add new columns at the end.</summary>
    public static readonly string[] Columns =
    [
        "id", "dealId", "outcome", "closedOn", "amount", "currency", "segment", "stageReached", "region", "industry",
        "product", "accountName", "repId", "repName", "competitors", "primaryCompetitor", "reasons", "primaryReason",
        "primaryReasonDetail", "objections", "messages", "collateralUsed", "leadSource", "leadQuality", "notes",
        "version", "createdAt", "updatedAt",
    ];

    /// <summary>
    /// Multi-values are joined with U+001F inside SQL (<see cref="UnitSeparator"/>). Competitors show the canonical name when
    /// the name resolved to a competitor, else the name as written.
    /// </summary>
    /// <summary>U+001F as an SQL string literal (the same on both engines; SQLite's char(31) is not PostgreSQL).</summary>
    public const string UnitSeparator = "'\u001f'";

    public const string SelectSql =
        $"""
        SELECT r.id AS Id, r.deal_id AS DealId, r.outcome AS Outcome, r.closed_on AS ClosedOn, r.amount_cents AS AmountCents,
               r.currency AS Currency, r.segment AS Segment, r.stage_reached AS StageReached, r.region AS Region,
               r.industry AS Industry, r.product AS Product, r.account_name AS AccountName, r.rep_id AS RepId,
               u.display_name AS RepName,
               (SELECT group_concat(COALESCE(c.name, rc.name), {UnitSeparator}) FROM report_competitors rc
                    LEFT JOIN competitors c ON c.id = rc.competitor_id WHERE rc.report_id = r.id) AS Competitors,
               (SELECT COALESCE(c.name, rc.name) FROM report_competitors rc
                    LEFT JOIN competitors c ON c.id = rc.competitor_id WHERE rc.report_id = r.id AND rc.is_primary = 1) AS PrimaryCompetitor,
               (SELECT group_concat(rr.category, {UnitSeparator}) FROM report_reasons rr WHERE rr.report_id = r.id) AS Reasons,
               (SELECT rr.category || {UnitSeparator} || COALESCE(rr.detail, '') FROM report_reasons rr
                    WHERE rr.report_id = r.id AND rr.is_primary = 1) AS PrimaryReason,
               (SELECT group_concat(ro.category, {UnitSeparator}) FROM report_objections ro WHERE ro.report_id = r.id) AS Objections,
               (SELECT group_concat(rm.message_id || ':' || rm.resonance, {UnitSeparator}) FROM report_messages rm WHERE rm.report_id = r.id) AS Messages,
               (SELECT group_concat(rl.collateral_id, {UnitSeparator}) FROM report_collateral rl WHERE rl.report_id = r.id) AS Collateral,
               r.lead_source AS LeadSource, r.lead_quality AS LeadQuality, r.notes AS Notes, r.version AS Version,
               r.created_at AS CreatedAt, r.updated_at AS UpdatedAt
        FROM reports r JOIN users u ON u.id = r.rep_id
        """;

    public static readonly ExportShape<ExportReportRow> Shape = new("reports", "/api/v1/exports/reports", Columns, WriteCsv, WriteJson);

    public ValueTask<IAsyncEnumerable<ExportReportRow>> Handle(ExportReports query, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var sql = $"{SelectSql}\nWHERE {query.Filter.Where(p)}\nORDER BY r.id";
        return ValueTask.FromResult(Rows(sql, p, cancellationToken));
    }

    private async IAsyncEnumerable<ExportReportRow> Rows(string sql, DynamicParameters p, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await foreach (var row in connection.QueryUnbufferedAsync<ExportReportRow>(sql, p).WithCancellation(cancellationToken)) yield return row;
    }

    private static void WriteCsv(CsvWriter csv, ExportReportRow r)
    {
        var (primaryReason, primaryDetail) = SplitPrimary(r.PrimaryReason);
        csv.Number(r.Id).Text(r.DealId).Text(r.Outcome).Text(r.ClosedOn)
            .Number(r.AmountCents is null ? null : r.AmountCents.Value / 100m).Text(r.Currency)
            .Text(r.Segment).Text(r.StageReached).Text(r.Region).Text(r.Industry).Text(r.Product).Text(r.AccountName)
            .Number(r.RepId).Text(r.RepName)
            .Text(ExportOutput.Joined(r.Competitors)).Text(r.PrimaryCompetitor)
            .Text(ExportOutput.Joined(r.Reasons)).Text(primaryReason).Text(primaryDetail)
            .Text(ExportOutput.Joined(r.Objections)).Text(ExportOutput.Joined(r.Messages)).Text(ExportOutput.Joined(r.Collateral))
            .Text(r.LeadSource).Number(r.LeadQuality).Text(r.Notes)
            .Number(r.Version).Text(r.CreatedAt).Text(r.UpdatedAt);
    }

    private static void WriteJson(Utf8JsonWriter j, ExportReportRow r)
    {
        var (primaryReason, primaryDetail) = SplitPrimary(r.PrimaryReason);
        j.WriteNumber("id", r.Id);
        j.WriteString("dealId", r.DealId);
        j.WriteString("outcome", r.Outcome);
        j.WriteString("closedOn", r.ClosedOn);
        ExportOutput.WriteAmount(j, r.AmountCents);
        j.WriteString("currency", r.Currency);
        j.WriteString("segment", r.Segment);
        j.WriteString("stageReached", r.StageReached);
        j.WriteString("region", r.Region);
        j.WriteString("industry", r.Industry);
        j.WriteString("product", r.Product);
        j.WriteString("accountName", r.AccountName);
        j.WriteNumber("repId", r.RepId);
        j.WriteString("repName", r.RepName);
        ExportOutput.WriteArray(j, "competitors", r.Competitors);
        j.WriteString("primaryCompetitor", r.PrimaryCompetitor);
        ExportOutput.WriteArray(j, "reasons", r.Reasons);
        j.WriteString("primaryReason", primaryReason);
        j.WriteString("primaryReasonDetail", primaryDetail);
        ExportOutput.WriteArray(j, "objections", r.Objections);
        ExportOutput.WriteArray(j, "messages", r.Messages);
        ExportOutput.WriteArray(j, "collateralUsed", r.Collateral);
        j.WriteString("leadSource", r.LeadSource);
        if (r.LeadQuality is null) j.WriteNull("leadQuality"); else j.WriteNumber("leadQuality", r.LeadQuality.Value);
        j.WriteString("notes", r.Notes);
        j.WriteNumber("version", r.Version);
        j.WriteString("createdAt", r.CreatedAt);
        j.WriteString("updatedAt", r.UpdatedAt);
    }

    private static (string? Category, string? Detail) SplitPrimary(string? value)
    {
        if (value is null) return (null, null);
        var i = value.IndexOf(ExportOutput.UnitSeparator);
        return i < 0 ? (value, null) : (value[..i], i == value.Length - 1 ? null : value[(i + 1)..]);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/reports", Endpoint)
            .WithName("ExportReports")
            .WithSummary("Export reports as CSV or JSON Lines (streamed)")
            .WithDescription(
                "One row per live report (deleted reports excluded), ordered by id. Filters as for trends: from, to (on closedOn), " +
                "segment, region, product, industry, stage, outcome, competitor (id or name). format=csv (default; RFC 4180, UTF-8, " +
                "excel=true adds a BOM) or jsonl (one JSON object per line, multi-values as arrays). CSV column order, fixed: " +
                string.Join(", ", Columns) + ". Multi-values in one cell are joined with \"; \". Every export is audited.")
            .RequireAuthorization(Policies.ExportReports)
            .Produces(StatusCodes.Status200OK, typeof(string), "text/csv", "application/x-ndjson")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint(
        string? format, string? excel, string? from, string? to, string? segment, string? region, string? product,
        string? industry, string? stage, string? outcome, string? competitor,
        HttpContext http, ISender sender, Writer writer, CancellationToken cancellationToken)
    {
        var bom = QueryInt.Bool(excel, "excel") ?? false;
        var filter = new ExportFilter(from, to, segment, region, product, industry, stage, outcome, competitor);
        var request = new ExportRequest(filter, format ?? ExportOutput.Csv, bom, Caller.From(http.User));
        var rows = await sender.Send(new ExportReports(filter, request.Format), cancellationToken);
        await ExportStream.WriteAsync(http.Response, Shape, rows, request, writer, cancellationToken);
        return Results.Empty;
    }
}

/// <summary>One row of the reports export (multi-values joined with U+001F, as the SQL makes them).</summary>
public sealed class ExportReportRow
{
    public long Id { get; init; }
    public string DealId { get; init; } = "";
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
    public long RepId { get; init; }
    public string? RepName { get; init; }
    public string? Competitors { get; init; }
    public string? PrimaryCompetitor { get; init; }
    public string? Reasons { get; init; }
    public string? PrimaryReason { get; init; }
    public string? Objections { get; init; }
    public string? Messages { get; init; }
    public string? Collateral { get; init; }
    public string? LeadSource { get; init; }
    public long? LeadQuality { get; init; }
    public string? Notes { get; init; }
    public long Version { get; init; }
    public string CreatedAt { get; init; } = "";
    public string UpdatedAt { get; init; } = "";
}

