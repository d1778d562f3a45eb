using System.Text;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// POST /api/v1/imports/buyer-feedback (text/csv): interview notes kept elsewhere (a spreadsheet, a CI vendor's export),
/// one interview per row. Header names (any order, case-insensitive): dealId, interviewedOn, intervieweeRole, outcome,
/// reasons (ranked, "; "-separated), competitorChosen, competitorsConsidered, objections (categories), quotes, notes.
/// Bad rows are reported as {line, field, message} and good rows stored; a row identical to a stored interview
/// (deal, date, role, outcome, reasons) is counted unchanged, so re-importing a file creates nothing new. Audited.
/// </summary>
public sealed record ImportBuyerFeedback(IReadOnlyList<BuyerFeedbackImportRow> Rows, IReadOnlyList<BuyerFeedbackImportError> Errors, long RowsRead, Caller Caller)
    : ICommand<ImportBuyerFeedbackResult>;

public sealed record BuyerFeedbackImportRow(long Line, string DealId, BuyerFeedbackInput Feedback);
public sealed record BuyerFeedbackImportError(long Line, string Field, string Message);
public sealed record ImportBuyerFeedbackResult(long RowsRead, long Created, long Unchanged, IReadOnlyList<BuyerFeedbackImportError> Errors);

public sealed class ImportBuyerFeedbackHandler(Writer writer) : ICommandHandler<ImportBuyerFeedback, ImportBuyerFeedbackResult>
{
    public const int MaxBytes = 10 * 1024 * 1024;
    public const int MaxErrors = 1000;
    public static readonly string[] Columns =
        ["dealId", "interviewedOn", "intervieweeRole", "outcome", "reasons", "competitorChosen", "competitorsConsidered", "objections", "quotes", "notes"];

    private const string SameSql =
        """
        SELECT 1 FROM buyer_feedback f
        WHERE f.deal_id = @dealId AND f.source = 'interview' AND f.deleted_at IS NULL AND f.interviewed_on = @on
          AND f.interviewee_role = @role AND f.outcome = @outcome
          AND (SELECT group_concat(category, ';') FROM (SELECT category FROM buyer_feedback_reasons WHERE feedback_id = f.id ORDER BY rank) AS ordered) = @reasons
        LIMIT 1
        """;

    public async ValueTask<ImportBuyerFeedbackResult> Handle(ImportBuyerFeedback command, CancellationToken cancellationToken)
    {
        var (created, unchanged) = await writer.ExecuteAsync((c, t) =>
        {
            long created = 0, unchanged = 0;
            var now = Clock.Now();
            foreach (var row in command.Rows)
            {
                var f = row.Feedback;
                var reasons = string.Join(';', f.Reasons!.Select(r => r!.Category));
                if (c.ExecuteScalar<long?>(SameSql, new { dealId = row.DealId, on = f.InterviewedOn, role = f.IntervieweeRole, outcome = f.Outcome, reasons }, t) is not null)
                {
                    unchanged++;
                    continue;
                }
                var id = BuyerFeedbackStore.Insert(c, t, row.DealId, "interview", f, surveyLinkId: null, command.Caller.UserId, now);
                BuyerFeedbackEvents.Changed(c, t, id);
                created++;
            }
            Audit.Record(c, t, command.Caller, "buyer_feedback.imported", "/api/v1/imports/buyer-feedback",
                new { rowsRead = command.RowsRead, created, unchanged, errors = command.Errors.Count });
            return (created, unchanged);
        }, cancellationToken);
        return new ImportBuyerFeedbackResult(command.RowsRead, created, unchanged, command.Errors);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/buyer-feedback", Endpoint)
            .WithTags("Buyer feedback")
            .WithName("ImportBuyerFeedback")
            .WithSummary("Import buyer interview notes from CSV")
            .WithDescription("text/csv with a header row; columns: " + string.Join(", ", Columns) +
                ". reasons are ranked (first = primary) and, like the other lists, separated by \"; \". Bad rows come back as {line, field, message}; good rows are stored; re-importing creates nothing new.")
            .Accepts<string>("text/csv")
            .RequireAuthorization(Policies.WriteBuyerFeedback)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<Ok<ImportBuyerFeedbackResult>> Endpoint(HttpContext http, ISender sender, BuyerFeedbackInputValidator validator, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (request.ContentType?.Split(';')[0].Trim().Equals("text/csv", StringComparison.OrdinalIgnoreCase) != true)
            throw new UnsupportedMediaTypeException("Send the interviews as text/csv.");
        if (request.ContentLength > MaxBytes) throw new PayloadTooLargeException($"The file may be at most {MaxBytes} bytes.");
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellationToken);
        if (body.Length > MaxBytes) throw new PayloadTooLargeException($"The file may be at most {MaxBytes} bytes.");
        body.Position = 0;
        var csv = new CsvReader(new StreamReader(body, Encoding.UTF8), 64 * 1024);

        var rows = new List<BuyerFeedbackImportRow>();
        var errors = new List<BuyerFeedbackImportError>();
        long read = 0;
        try
        {
            var header = await csv.ReadAsync(cancellationToken) ?? throw Invalid.Field("file", "The file is empty: a header row is required.");
            var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < header.Count; i++)
            {
                var name = header[i].Trim();
                var known = Columns.FirstOrDefault(c => c.Equals(name, StringComparison.OrdinalIgnoreCase))
                    ?? throw Invalid.Field("header", $"Unknown column '{name}'. Columns: {string.Join(", ", Columns)}.");
                if (!index.TryAdd(known, i)) throw Invalid.Field("header", $"Column '{known}' appears twice.");
            }
            foreach (var required in new[] { "dealId", "interviewedOn", "intervieweeRole", "outcome", "reasons" })
                if (!index.ContainsKey(required)) throw Invalid.Field("header", $"Column '{required}' is required.");

            while (await csv.ReadAsync(cancellationToken) is { } record)
            {
                read++;
                string? Cell(string column) => index.TryGetValue(column, out var i) && i < record.Count && record[i].Trim().Length > 0 ? record[i].Trim() : null;
                List<string> List(string column) => Cell(column)?.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList() ?? [];
                var dealId = Cell("dealId");
                var input = new BuyerFeedbackInput
                {
                    InterviewedOn = Cell("interviewedOn"), IntervieweeRole = Cell("intervieweeRole"), Outcome = Cell("outcome"),
                    Reasons = List("reasons").Select(r => new BuyerReasonInput { Category = r }).ToList<BuyerReasonInput?>(),
                    CompetitorChosen = Cell("competitorChosen"),
                    CompetitorsConsidered = List("competitorsConsidered").ToList<string?>(),
                    Objections = List("objections").Select(o => new BuyerObjectionInput { Category = o }).ToList<BuyerObjectionInput?>(),
                    Quotes = List("quotes").ToList<string?>(),
                    Notes = Cell("notes"),
                };
                var failures = validator.Validate(input).Errors
                    .Select(e => new BuyerFeedbackImportError(csv.RecordLine, ProblemDetailsExceptionHandler.ToCamelPath(e.PropertyName), e.ErrorMessage)).ToList();
                if (!BuyerFeedbackRules.IsDealId(dealId)) failures.Insert(0, new BuyerFeedbackImportError(csv.RecordLine, "dealId", "dealId must be 1 to 64 characters on one line."));
                if (failures.Count == 0) rows.Add(new BuyerFeedbackImportRow(csv.RecordLine, dealId!, input));
                else if (errors.Count < MaxErrors) errors.AddRange(failures.Take(MaxErrors - errors.Count));
            }
        }
        catch (CsvFormatException ex)
        {
            throw Invalid.Field("file", $"Line {ex.Line}: {ex.Message}");
        }
        return TypedResults.Ok(await sender.Send(new ImportBuyerFeedback(rows, errors, read, Caller.From(http.User)), cancellationToken));
    }
}
