using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// An analyst records an interview with the buyer of a deal. The deal need not have a rep report yet (interviews
/// often come first); it is paired with the report for calibration once both exist. Audited.
/// </summary>
public sealed record RecordBuyerFeedback(string DealId, BuyerFeedbackInput Feedback, Caller Caller) : ICommand<BuyerFeedbackDto>;

public sealed class RecordBuyerFeedbackValidator : AbstractValidator<RecordBuyerFeedback>
{
    public RecordBuyerFeedbackValidator(BuyerFeedbackInputValidator feedback)
    {
        RuleFor(x => x.DealId).Must(BuyerFeedbackRules.IsDealId).WithMessage("dealId must be 1 to 64 characters on one line.").OverridePropertyName("dealId");
        RuleFor(x => x.Feedback).Custom((input, context) =>
        {
            foreach (var failure in feedback.Validate(input).Errors) context.AddFailure(failure);
        });
    }
}

public sealed class RecordBuyerFeedbackHandler(Writer writer, Db db) : ICommandHandler<RecordBuyerFeedback, BuyerFeedbackDto>
{
    public async ValueTask<BuyerFeedbackDto> Handle(RecordBuyerFeedback command, CancellationToken cancellationToken)
    {
        var dealId = command.DealId.Trim();
        var id = await writer.ExecuteAsync((c, t) =>
        {
            var id = BuyerFeedbackStore.Insert(c, t, dealId, "interview", command.Feedback, surveyLinkId: null, command.Caller.UserId, Clock.Now());
            BuyerFeedbackEvents.Changed(c, t, id);
            Audit.Record(c, t, command.Caller, "buyer_feedback.recorded", $"deal/{dealId}/buyer-feedback/{id}", new { source = "interview" });
            return id;
        }, cancellationToken);
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await BuyerFeedbackStore.LoadAsync(connection, [id]))[0];
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/", Endpoint)
            .WithName("RecordBuyerFeedback")
            .WithSummary("Record a buyer interview for a deal")
            .WithDescription("Reasons are ranked (the first is the buyer's primary reason) and use the reason taxonomy, so they can be compared with the rep's.")
            .Accepts<BuyerFeedbackInput>("application/json")
            .RequireAuthorization(Policies.WriteBuyerFeedback)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<Created<BuyerFeedbackDto>> Endpoint(string dealId, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (input, _) = await JsonBody.ReadAsync<BuyerFeedbackInput>(http.Request, cancellationToken: cancellationToken);
        var dto = await sender.Send(new RecordBuyerFeedback(dealId, input, Caller.From(http.User)), cancellationToken);
        return TypedResults.Created($"/api/v1/deals/{Uri.EscapeDataString(dto.DealId)}/buyer-feedback/{dto.Id}", dto);
    }
}
