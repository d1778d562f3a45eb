using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Reports;

/// <summary>
/// Replace a report with a new version. Requires If-Match with the current ETag (412 when stale,
/// 428 when missing or "*": a wildcard would let two concurrent amendments overwrite each other);
/// every earlier version stays in the history. Reps may amend their own reports
/// up to 14 days after filing.
/// </summary>
public sealed record AmendReport(long Id, ReportInput Report, string IfMatch, Caller Caller) : ICommand<ReportDto>;

public sealed class AmendReportValidator : AbstractValidator<AmendReport>
{
    public AmendReportValidator(ReportInputValidator report) =>
        RuleFor(x => x).Custom((command, context) =>
        {
            var amendment = new ValidationContext<ReportInput>(command.Report);
            amendment.RootContextData[ReportInputValidator.AmendmentContextKey] = true;
            foreach (var failure in report.Validate(amendment).Errors) context.AddFailure(failure);
        });
}

public sealed class AmendReportHandler(Writer writer) : ICommandHandler<AmendReport, ReportDto>
{
    public const int RepAmendWindowDays = 14;

    private const string CurrentSql =
        "SELECT rep_id AS RepId, version AS Version, created_at AS CreatedAt, created_by AS CreatedBy, deleted_at AS DeletedAt FROM reports WHERE id = @id";
    public async ValueTask<ReportDto> Handle(AmendReport command, CancellationToken cancellationToken)
    {
        try
        {
            return await Amend(command, cancellationToken);
        }
        catch (DealTakenException taken)
        {
            throw taken.For(command.Caller);
        }
    }

    private Task<ReportDto> Amend(AmendReport command, CancellationToken cancellationToken) =>
        writer.ExecuteAsync((c, t) =>
        {
            var caller = command.Caller;
            var current = c.QuerySingleOrDefault<Current>(CurrentSql, new { id = command.Id }, t);
            if (current is null || current.DeletedAt is not null || (caller.IsRep && current.RepId != caller.UserId))
                throw new NotFoundException($"Report {command.Id} not found.");
            if (!IfMatches(command.IfMatch, ReportStore.ETag(command.Id, (int)current.Version)))
                throw new PreconditionFailedException("The report changed since you read it. GET it again and re-apply your change.");

            var repId = current.RepId;
            if (command.Report.RepId is { } requested && requested != current.RepId)
            {
                if (!caller.CanActForOthers) throw new ForbiddenException("Only analysts and admins may move a report to another rep.");
                ReportStore.EnsureRep(c, t, requested);
                repId = requested;
            }
            if (caller.IsRep && DateTimeOffset.Parse(current.CreatedAt, System.Globalization.CultureInfo.InvariantCulture).AddDays(RepAmendWindowDays) < DateTimeOffset.UtcNow)
                throw new ForbiddenException($"Reps may amend a report only within {RepAmendWindowDays} days of filing; ask an analyst.");

            var report = ReportStore.Replace(c, t, command.Id, command.Report, repId, (int)current.Version + 1,
                current.CreatedAt, current.CreatedBy, caller.UserId, Clock.Now());
            ReportEvents.Written(c, t, command.Id);
            return report;
        }, cancellationToken);

    private static bool IfMatches(string ifMatch, string etag) =>
        ifMatch.Split(',').Any(v => v.Trim() == etag || v.Trim() == "W/" + etag);

    private sealed class Current
    {
        public long RepId { get; init; }
        public long Version { get; init; }
        public string CreatedAt { get; init; } = "";
        public long CreatedBy { get; init; }
        public string? DeletedAt { get; init; }
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPut("/{id:long}", Endpoint)
            .WithName("AmendReport")
            .WithSummary("Amend a report (If-Match required; earlier versions kept)")
            .Accepts<ReportInput>("application/json")
            .RequireAuthorization(Policies.AmendReport)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired);

    private static async Task<Ok<ReportDto>> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        string? ifMatch = http.Request.Headers.IfMatch;
        if (string.IsNullOrWhiteSpace(ifMatch))
            throw new PreconditionRequiredException("Send If-Match with the report's ETag (from GET /api/v1/reports/{id}).");
        if (ifMatch.Split(',').Any(v => v.Trim() == "*"))
            throw new PreconditionRequiredException(
                "If-Match: * is not accepted: send the report's ETag (from GET /api/v1/reports/{id}) so a concurrent amendment is never overwritten.");
        var (input, _) = await JsonBody.ReadAsync<ReportInput>(http.Request, cancellationToken: cancellationToken);
        input = input with { DealId = ReportRules.NormalizeDealId(input.DealId) };
        var report = await sender.Send(new AmendReport(id, input, ifMatch, Caller.From(http.User)), cancellationToken);
        http.Response.Headers.ETag = ReportStore.ETag(report.Id, report.Version);
        return TypedResults.Ok(report);
    }
}
