using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Reports;

/// <summary>Soft-delete: the report is kept (with who, when and why) but leaves trends, lists and exports.</summary>
public sealed record DeleteReport(long Id, string? Reason, Caller Caller) : ICommand;

public sealed class DeleteReportValidator : AbstractValidator<DeleteReport>
{
    public DeleteReportValidator()
    {
        RuleFor(x => x.Reason).Cascade(CascadeMode.Stop)
            .Must(r => !string.IsNullOrWhiteSpace(r)).WithMessage("reason is required (why is this report being deleted?).")
            .Must(r => r!.Trim().Length <= 500 && ReportRules.IsCleanText(r)).WithMessage("reason must be at most 500 characters of text.")
            .OverridePropertyName("reason");
    }
}

public sealed class DeleteReportHandler(Writer writer) : ICommandHandler<DeleteReport>
{
    private const string DeleteSql =
        """
        UPDATE reports SET deleted_at = @now, deleted_by = @by, delete_reason = @reason
        WHERE id = @id AND deleted_at IS NULL
        """;

    public async ValueTask<Unit> Handle(DeleteReport command, CancellationToken cancellationToken)
    {
        await writer.ExecuteAsync((c, t) =>
        {
            var row = c.QuerySingleOrDefault<(long Id, string? DeletedAt)?>("SELECT id, deleted_at FROM reports WHERE id = @id", new { id = command.Id }, t);
            if (row is null) throw new NotFoundException($"Report {command.Id} not found.");
            if (row.Value.DeletedAt is not null) return; // already deleted: nothing changes
            ReportEvents.Removing(c, t, command.Id);
            c.Execute(DeleteSql, new { id = command.Id, now = Clock.Now(), by = command.Caller.UserId, reason = command.Reason!.Trim() }, t);
            Audit.Record(c, t, command.Caller, "report.deleted", $"report/{command.Id}", new { reason = command.Reason!.Trim() });
        }, cancellationToken);
        return Unit.Value;
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapDelete("/{id:long}", Endpoint)
            .WithName("DeleteReport")
            .WithSummary("Soft-delete a report with a reason")
            .RequireAuthorization(Policies.DeleteReport)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<NoContent> Endpoint(long id, string? reason, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        await sender.Send(new DeleteReport(id, reason, Caller.From(http.User)), cancellationToken);
        return TypedResults.NoContent();
    }
}
