using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>Soft-delete with a reason, like a report: kept (who, when, why), left out of calibration and exports. Audited.</summary>
public sealed record DeleteBuyerFeedback(string DealId, long Id, string? Reason, Caller Caller) : ICommand;

public sealed class DeleteBuyerFeedbackValidator : AbstractValidator<DeleteBuyerFeedback>
{
    public DeleteBuyerFeedbackValidator() =>
        RuleFor(x => x.Reason).Cascade(CascadeMode.Stop)
            .Must(r => !string.IsNullOrWhiteSpace(r)).WithMessage("reason is required (why is this feedback being deleted?).")
            .Must(r => r!.Trim().Length <= 500 && ReportRules.IsCleanText(r)).WithMessage("reason must be at most 500 characters of text.")
            .OverridePropertyName("reason");
}

public sealed class DeleteBuyerFeedbackHandler(Writer writer) : ICommandHandler<DeleteBuyerFeedback>
{
    private const string FindSql = "SELECT deal_id AS DealId, deleted_at AS DeletedAt FROM buyer_feedback WHERE id = @id";
    private const string DeleteSql =
        "UPDATE buyer_feedback SET deleted_at = @now, deleted_by = @by, delete_reason = @reason WHERE id = @id AND deleted_at IS NULL";

    public async ValueTask<Unit> Handle(DeleteBuyerFeedback command, CancellationToken cancellationToken)
    {
        var dealId = command.DealId.Trim();
        await writer.ExecuteAsync((c, t) =>
        {
            var row = c.QuerySingleOrDefault<(string DealId, string? DeletedAt)?>(FindSql, new { id = command.Id }, t);
            if (row is null || row.Value.DealId != dealId) throw new NotFoundException($"Buyer feedback {command.Id} not found for this deal.");
            if (row.Value.DeletedAt is not null) return; // already deleted: nothing changes
            var reason = command.Reason!.Trim();
            c.Execute(DeleteSql, new { id = command.Id, now = Clock.Now(), by = command.Caller.UserId, reason }, t);
            BuyerFeedbackEvents.Changed(c, t, command.Id);
            Audit.Record(c, t, command.Caller, "buyer_feedback.deleted", $"deal/{dealId}/buyer-feedback/{command.Id}", new { reason });
        }, cancellationToken);
        return Unit.Value;
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapDelete("/{id:long}", Endpoint)
            .WithName("DeleteBuyerFeedback")
            .WithSummary("Soft-delete a buyer feedback with a reason")
            .RequireAuthorization(Policies.WriteBuyerFeedback)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<NoContent> Endpoint(string dealId, long id, string? reason, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        await sender.Send(new DeleteBuyerFeedback(dealId, id, reason, Caller.From(http.User)), cancellationToken);
        return TypedResults.NoContent();
    }
}
