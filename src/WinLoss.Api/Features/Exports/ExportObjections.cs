using Dapper;
using FluentValidation;
using Mediator;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Exports;

/// <summary>
/// One row per objection of every live report matching the filters (report id, then position),
/// with the report's context columns, streamed from one unbuffered query. Audited like every export.
/// </summary>
public sealed record ExportObjections(ExportFilter Filter, string Format, bool Excel, Caller Caller, HttpResponse Response)
    : IQuery<long>;

public sealed class ExportObjectionsValidator : AbstractValidator<ExportObjections>
{
    public ExportObjectionsValidator(ExportFilterValidator filter) =>
        RuleFor(x => x).Custom((query, context) =>
        {
            foreach (var failure in filter.Validate(query.Filter).Errors) context.AddFailure(failure);
            if (!ExportOutput.Formats.Contains(query.Format)) context.AddFailure("format", "format must be csv or jsonl.");
        });
}

public sealed class ExportObjectionsHandler(Db db, Writer writer) : IQueryHandler<ExportObjections, long>
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

    public async ValueTask<long> Handle(ExportObjections query, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var sql = $"{SelectSql}\nWHERE {query.Filter.Where(p)}\nORDER BY r.id, o.position";
        ExportOutput.Begin(query.Response, "objections", query.Format);

        long rows = 0;
        var completed = false;
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            var reader = connection.Query<Row>(new CommandDefinition(sql, p, flags: CommandFlags.None, cancellationToken: cancellationToken));
            if (query.Format == ExportOutput.Jsonl)
            {
                var jsonl = new JsonLinesWriter(query.Response.BodyWriter);
                foreach (var r in reader)
                {
                    var j = jsonl.Row;
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
                    rows++;
                    await jsonl.EndRowAsync(cancellationToken);
                }
                await jsonl.CompleteAsync(cancellationToken);
            }
            else
            {
                await using var csv = new CsvWriter(query.Response.Body, query.Excel);
                csv.Header(Columns);
                foreach (var r in reader)
                {
                    csv.Number(r.ReportId).Text(r.DealId).Number(r.Position).Text(r.Category)
                        .Text(r.Competitor).Text(r.CompetitorAsWritten).Number(r.CompetitorId).Bool(r.Overcome).Text(r.Text)
                        .Text(r.Outcome).Text(r.ClosedOn).Number(r.AmountCents is null ? null : r.AmountCents.Value / 100m).Text(r.Currency)
                        .Text(r.Segment).Text(r.StageReached).Text(r.Region).Text(r.Industry).Text(r.Product).Number(r.RepId);
                    rows++;
                    await csv.EndRowAsync(cancellationToken);
                }
                await csv.FlushAsync(cancellationToken);
            }
            completed = true;
        }
        finally
        {
            await ExportOutput.RecordAsync(writer, query.Caller, "/api/v1/exports/objections", query.Filter, query.Format, rows, completed);
        }
        return rows;
    }

    private sealed class Row
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
        HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var bom = QueryInt.Bool(excel, "excel") ?? false;
        var filter = new ExportFilter(from, to, segment, region, product, industry, stage, outcome, competitor);
        await sender.Send(new ExportObjections(filter, format ?? ExportOutput.Csv, bom, Caller.From(http.User), http.Response), cancellationToken);
        return Results.Empty;
    }
}
