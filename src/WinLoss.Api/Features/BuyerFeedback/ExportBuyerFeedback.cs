using System.Text;
using Dapper;
using FluentValidation;
using Mediator;
using WinLoss.Api.Features.Exports;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// GET /api/v1/exports/buyer-feedback?format=csv|jsonl: one row per live buyer feedback, with the deal's rep report
/// beside it (outcome, primary reason, rep) when one is filed, streamed like the report export and audited.
/// Filters: from, to (on interviewedOn), source (interview | survey), outcome (as the buyer sees it), dealId.
/// </summary>
public sealed record ExportBuyerFeedback(
    string? From, string? To, string? Source, string? Outcome, string? DealId, string Format, bool Excel, Caller Caller, HttpResponse Response)
    : IQuery<long>;

public sealed class ExportBuyerFeedbackValidator : AbstractValidator<ExportBuyerFeedback>
{
    public ExportBuyerFeedbackValidator()
    {
        RuleFor(x => x.From).Must(v => v is null || ReportRules.TryParseDate(v, out _)).WithMessage("from must be a date YYYY-MM-DD.").OverridePropertyName("from");
        RuleFor(x => x.To).Must(v => v is null || ReportRules.TryParseDate(v, out _)).WithMessage("to must be a date YYYY-MM-DD.").OverridePropertyName("to");
        RuleFor(x => x.Source).Must(v => v is null or "interview" or "survey").WithMessage("source must be interview or survey.").OverridePropertyName("source");
        RuleFor(x => x.Outcome).Must(v => v is null || ReportRules.Outcomes.Contains(v)).WithMessage("outcome must be one of: won, lost, no_decision.").OverridePropertyName("outcome");
        RuleFor(x => x.DealId).Must(v => v is null || BuyerFeedbackRules.IsDealId(v)).WithMessage("dealId must be 1 to 64 characters on one line.").OverridePropertyName("dealId");
        RuleFor(x => x.Format).Must(v => ExportOutput.Formats.Contains(v)).WithMessage("format must be csv or jsonl.").OverridePropertyName("format");
    }
}

public sealed class ExportBuyerFeedbackHandler(Db db, Writer writer) : IQueryHandler<ExportBuyerFeedback, long>
{
    /// <summary>The documented column order. Never reorder; add new columns at the end.</summary>
    public static readonly string[] Columns =
    [
        "id", "dealId", "source", "intervieweeRole", "interviewedOn", "buyerOutcome", "primaryReason", "reasons",
        "competitorChosen", "competitorChosenId", "competitorsConsidered", "objections", "quotes", "notes",
        "reportId", "repOutcome", "repPrimaryReason", "repId", "closedOn", "createdAt",
    ];

    // Multi-values are joined with U+001F in rank/position order (ExportOutput splits them).
    private const string SelectSql =
        $"""
        SELECT f.id AS Id, f.deal_id AS DealId, f.source AS Source, f.interviewee_role AS IntervieweeRole,
               f.interviewed_on AS InterviewedOn, f.outcome AS BuyerOutcome,
               (SELECT category FROM buyer_feedback_reasons WHERE feedback_id = f.id AND rank = 1) AS PrimaryReason,
               (SELECT group_concat(category, {Exports.ExportReportsHandler.UnitSeparator}) FROM (SELECT category FROM buyer_feedback_reasons WHERE feedback_id = f.id ORDER BY rank) AS ordered) AS Reasons,
               COALESCE(cc.name, f.chosen_competitor) AS CompetitorChosen, cc.id AS CompetitorChosenId,
               (SELECT group_concat(name, {Exports.ExportReportsHandler.UnitSeparator}) FROM (SELECT COALESCE(c2.name, bc.name) AS name FROM buyer_feedback_competitors bc
                    LEFT JOIN competitor_aliases a2 ON a2.normalized = bc.normalized
                    LEFT JOIN competitors c2 ON c2.id = COALESCE((SELECT merged_into_id FROM competitors WHERE id = a2.competitor_id), a2.competitor_id)
                    WHERE bc.feedback_id = f.id ORDER BY bc.position) AS ordered) AS CompetitorsConsidered,
               (SELECT group_concat(category, {Exports.ExportReportsHandler.UnitSeparator}) FROM (SELECT category FROM buyer_feedback_objections WHERE feedback_id = f.id ORDER BY position) AS ordered) AS Objections,
               (SELECT group_concat(text, {Exports.ExportReportsHandler.UnitSeparator}) FROM (SELECT text FROM buyer_feedback_quotes WHERE feedback_id = f.id ORDER BY position) AS ordered) AS Quotes,
               f.notes AS Notes,
               r.id AS ReportId, r.outcome AS RepOutcome,
               (SELECT category FROM report_reasons WHERE report_id = r.id ORDER BY is_primary DESC, position LIMIT 1) AS RepPrimaryReason,
               r.rep_id AS RepId, r.closed_on AS ClosedOn, f.created_at AS CreatedAt
        FROM buyer_feedback f
        LEFT JOIN competitor_aliases a ON a.normalized = f.chosen_normalized
        LEFT JOIN competitors cc ON cc.id = COALESCE((SELECT merged_into_id FROM competitors WHERE id = a.competitor_id), a.competitor_id)
        LEFT JOIN reports r ON r.deal_id = f.deal_id AND r.deleted_at IS NULL
        """;

    public async ValueTask<long> Handle(ExportBuyerFeedback query, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var where = new StringBuilder("f.deleted_at IS NULL");
        if (query.From is not null) { where.Append(" AND f.interviewed_on >= @from"); p.Add("from", query.From); }
        if (query.To is not null) { where.Append(" AND f.interviewed_on <= @to"); p.Add("to", query.To); }
        if (query.Source is not null) { where.Append(" AND f.source = @source"); p.Add("source", query.Source); }
        if (query.Outcome is not null) { where.Append(" AND f.outcome = @outcome"); p.Add("outcome", query.Outcome); }
        if (query.DealId is not null) { where.Append(" AND f.deal_id = @dealId"); p.Add("dealId", query.DealId.Trim()); }
        var sql = $"{SelectSql}\nWHERE {where}\nORDER BY f.id";
        ExportOutput.Begin(query.Response, "buyer-feedback", query.Format);

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
                    j.WriteNumber("id", r.Id);
                    j.WriteString("dealId", r.DealId);
                    j.WriteString("source", r.Source);
                    j.WriteString("intervieweeRole", r.IntervieweeRole);
                    j.WriteString("interviewedOn", r.InterviewedOn);
                    j.WriteString("buyerOutcome", r.BuyerOutcome);
                    j.WriteString("primaryReason", r.PrimaryReason);
                    ExportOutput.WriteArray(j, "reasons", r.Reasons);
                    j.WriteString("competitorChosen", r.CompetitorChosen);
                    if (r.CompetitorChosenId is null) j.WriteNull("competitorChosenId"); else j.WriteNumber("competitorChosenId", r.CompetitorChosenId.Value);
                    ExportOutput.WriteArray(j, "competitorsConsidered", r.CompetitorsConsidered);
                    ExportOutput.WriteArray(j, "objections", r.Objections);
                    ExportOutput.WriteArray(j, "quotes", r.Quotes);
                    j.WriteString("notes", r.Notes);
                    if (r.ReportId is null) j.WriteNull("reportId"); else j.WriteNumber("reportId", r.ReportId.Value);
                    j.WriteString("repOutcome", r.RepOutcome);
                    j.WriteString("repPrimaryReason", r.RepPrimaryReason);
                    if (r.RepId is null) j.WriteNull("repId"); else j.WriteNumber("repId", r.RepId.Value);
                    j.WriteString("closedOn", r.ClosedOn);
                    j.WriteString("createdAt", r.CreatedAt);
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
                    csv.Number(r.Id).Text(r.DealId).Text(r.Source).Text(r.IntervieweeRole).Text(r.InterviewedOn).Text(r.BuyerOutcome)
                        .Text(r.PrimaryReason).Text(ExportOutput.Joined(r.Reasons)).Text(r.CompetitorChosen).Number(r.CompetitorChosenId)
                        .Text(ExportOutput.Joined(r.CompetitorsConsidered)).Text(ExportOutput.Joined(r.Objections)).Text(ExportOutput.Joined(r.Quotes))
                        .Text(r.Notes).Number(r.ReportId).Text(r.RepOutcome).Text(r.RepPrimaryReason).Number(r.RepId).Text(r.ClosedOn).Text(r.CreatedAt);
                    rows++;
                    await csv.EndRowAsync(cancellationToken);
                }
                await csv.FlushAsync(cancellationToken);
            }
            completed = true;
        }
        finally
        {
            var filters = new Dictionary<string, string?> { ["from"] = query.From, ["to"] = query.To, ["source"] = query.Source, ["outcome"] = query.Outcome, ["dealId"] = query.DealId }
                .Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value);
            await writer.ExecuteAsync((c, t) => Audit.Record(c, t, query.Caller, "export", "/api/v1/exports/buyer-feedback",
                new { filters, format = query.Format, rows, completed }), CancellationToken.None);
        }
        return rows;
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public string DealId { get; init; } = "";
        public string Source { get; init; } = "";
        public string IntervieweeRole { get; init; } = "";
        public string InterviewedOn { get; init; } = "";
        public string BuyerOutcome { get; init; } = "";
        public string? PrimaryReason { get; init; }
        public string? Reasons { get; init; }
        public string? CompetitorChosen { get; init; }
        public long? CompetitorChosenId { get; init; }
        public string? CompetitorsConsidered { get; init; }
        public string? Objections { get; init; }
        public string? Quotes { get; init; }
        public string? Notes { get; init; }
        public long? ReportId { get; init; }
        public string? RepOutcome { get; init; }
        public string? RepPrimaryReason { get; init; }
        public long? RepId { get; init; }
        public string? ClosedOn { get; init; }
        public string CreatedAt { get; init; } = "";
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/buyer-feedback", Endpoint)
            .WithName("ExportBuyerFeedback")
            .WithSummary("Export buyer feedback as CSV or JSON Lines (streamed)")
            .WithDescription(
                "One row per live buyer feedback, ordered by id, with the deal's rep report beside it when filed. Filters: from, to (on interviewedOn), " +
                "source (interview | survey), outcome (buyer's), dealId. format=csv (default; excel=true adds a BOM) or jsonl. CSV column order, fixed: " +
                string.Join(", ", Columns) + ". Multi-values in one cell are joined with \"; \". Every export is audited.")
            .RequireAuthorization(Policies.ExportReports)
            .Produces(StatusCodes.Status200OK, typeof(string), "text/csv", "application/x-ndjson")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint(
        string? format, string? excel, string? from, string? to, string? source, string? outcome, string? dealId,
        HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var bom = QueryInt.Bool(excel, "excel") ?? false;
        await sender.Send(new ExportBuyerFeedback(from, to, source, outcome, dealId, format ?? ExportOutput.Csv, bom, Caller.From(http.User), http.Response), cancellationToken);
        return Results.Empty;
    }
}
