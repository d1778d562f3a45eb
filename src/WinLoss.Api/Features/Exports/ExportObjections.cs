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
/// One row per objection of every live report matching the filters (report id, then position), with the report's
/// context columns: the rows of one unbuffered query, streamed and audited by <see cref="ExportStream"/>.
/// </summary>
public sealed record ExportObjections(ExportFilter Filter, string Format) : IQuery<IAsyncEnumerable<ExportObjectionRow>>;

public sealed class ExportObjectionsValidator : AbstractValidator<ExportObjections>
{
    public ExportObjectionsValidator(ExportFilterValidator filter) =>
        RuleFor(x => x).Custom((query, context) =>
        {
            foreach (var failure in filter.Validate(query.Filter).Errors) context.AddFailure(failure);
            if (!ExportOutput.Formats.Contains(query.Format)) context.AddFailure("format", "format must be csv or jsonl.");
        });
}

public sealed class ExportObjectionsHandler(Db db) : IQueryHandler<ExportObjections, IAsyncEnumerable<ExportObjectionRow>>
{
    /// <summary>The documented column order. Never reorder; add new columns at the end.</summary>
    public static readonly string[] Columns =
    [
        "reportId", "dealId", "position", "category", "competitor", "competitorAsWritten", "competitorId", "overcome", "text",
        "outcome", "closedOn", "amount", "currency", "segment", "stageReached", "region", "industry", "product", "repId",
    ];

    public const string SelectSql =
        """
        SELECT o.report_id AS ReportId, r.deal_id AS DealId, o.position AS Position, o.category AS Category,
               COALESCE(c.name, o.competitor) AS Competitor, o.competitor AS CompetitorAsWritten, o.competitor_id AS CompetitorId,
               o.overcome AS Overcome, o.text AS Text,
               r.outcome AS Outcome, r.closed_on AS ClosedOn, r.amount_cents AS AmountCents, r.currency AS Currency,
               r.segment AS Segment, r.stage_reached AS StageReached, r.region AS Region, r.industry AS Industry,
               r.product AS Product, r.rep_id AS RepId
        FROM reports r
        JOIN report_objections o ON o.report_id = r.id
        LEFT JOIN competitors c ON c.id = o.competitor_id
        """;

    public static readonly ExportShape<ExportObjectionRow> Shape = new("objections", "/api/v1/exports/objections", Columns, WriteCsv, WriteJson);

    public ValueTask<IAsyncEnumerable<ExportObjectionRow>> Handle(ExportObjections query, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var sql = $"{SelectSql}\nWHERE {query.Filter.Where(p)}\nORDER BY r.id, o.position";
        return ValueTask.FromResult(Rows(sql, p, cancellationToken));
    }

    private async IAsyncEnumerable<ExportObjectionRow> Rows(string sql, DynamicParameters p, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await foreach (var row in connection.QueryUnbufferedAsync<ExportObjectionRow>(sql, p).WithCancellation(cancellationToken)) yield return row;
    }

    private static void WriteCsv(CsvWriter csv, ExportObjectionRow r) =>
        csv.Number(r.ReportId).Text(r.DealId).Number(r.Position).Text(r.Category)
            .Text(r.Competitor).Text(r.CompetitorAsWritten).Number(r.CompetitorId).Bool(r.Overcome).Text(r.Text)
            .Text(r.Outcome).Text(r.ClosedOn).Number(r.AmountCents is null ? null : r.AmountCents.Value / 100m).Text(r.Currency)
            .Text(r.Segment).Text(r.StageReached).Text(r.Region).Text(r.Industry).Text(r.Product).Number(r.RepId);

    private static void WriteJson(Utf8JsonWriter j, ExportObjectionRow r)
    {
        j.WriteNumber("reportId", r.ReportId);
        j.WriteString("dealId", r.DealId);
        j.WriteNumber("position", r.Position);
        j.WriteString("category", r.Category);
        j.WriteString("competitor", r.Competitor);
        j.WriteString("competitorAsWritten", r.CompetitorAsWritten);
        if (r.CompetitorId is null) j.WriteNull("competitorId"); else j.WriteNumber("competitorId", r.CompetitorId.Value);
        j.WriteBoolean("overcome", r.Overcome);
        j.WriteString("text", r.Text);
        j.WriteString("outcome", r.Outcome);
        j.WriteString("closedOn", r.ClosedOn);
        ExportOutput.WriteAmount(j, r.AmountCents);
        j.WriteString("currency", r.Currency);
        j.WriteString("segment", r.Segment);
        j.WriteString("stageReached", r.StageReached);
        j.WriteString("region", r.Region);
        j.WriteString("industry", r.Industry);
        j.WriteString("product", r.Product);
        j.WriteNumber("repId", r.RepId);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/objections", Endpoint)
            .WithName("ExportObjections")
            .WithSummary("Export objections, one row per objection, as CSV or JSON Lines (streamed)")
            .WithDescription(
                "One row per objection of every live report matching the filters (deleted reports excluded), ordered by report id " +
                "and position. Filters, format and excel as for /exports/reports. CSV column order, fixed: " + string.Join(", ", Columns) +
                ". competitor is the canonical competitor name when the name resolved, else the name as written. Every export is audited.")
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
        var rows = await sender.Send(new ExportObjections(filter, request.Format), cancellationToken);
        await ExportStream.WriteAsync(http.Response, Shape, rows, request, writer, cancellationToken);
        return Results.Empty;
    }
}

/// <summary>One row of the objections export.</summary>
public sealed class ExportObjectionRow
{
    public long ReportId { get; init; }
    public string DealId { get; init; } = "";
    public long Position { get; init; }
    public string Category { get; init; } = "";
    public string? Competitor { get; init; }
    public string? CompetitorAsWritten { get; init; }
    public long? CompetitorId { get; init; }
    public bool Overcome { get; init; }
    public string? Text { get; init; }
    public string Outcome { get; init; } = "";
    public string ClosedOn { get; init; } = "";
    public long? AmountCents { get; init; }
    public string? Currency { get; init; }
    public string? Segment { get; init; }
    public string? StageReached { get; init; }
    public string? Region { get; init; }
    public string? Industry { get; init; }
    public string? Product { get; init; }
    public long RepId { get; init; }
}

