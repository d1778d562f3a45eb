using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// The batch form of <see cref="RecordClosedDeal"/>: up to <see cref="RecordClosedDealsHandler.MaxDeals"/> deals in one
/// request (a nightly CRM sync). Each deal is checked and stored on its own: a bad deal is reported as a row error
/// {index, dealId, field, message} and stores nothing, the good ones are stored (all in one transaction).
/// </summary>
public sealed record RecordClosedDeals(IReadOnlyList<ClosedDealInput?> Deals, Caller Caller) : ICommand<ClosedDealBatchResult>;

public sealed record ClosedDealsBody
{
    public List<ClosedDealInput?>? Deals { get; init; }
}

public sealed record ClosedDealBatchResult
{
    public int Received { get; init; }
    public int Created { get; init; }
    public int Updated { get; init; }
    public int Unchanged { get; init; }
    public int Rejected { get; init; }
    /// <summary>Of the deals stored, how many wait for their rep's report, and how many already have one.</summary>
    public int Waiting { get; init; }
    public int Reported { get; init; }
    public required IReadOnlyList<ClosedDealRowError> Errors { get; init; }
}

/// <summary>A deal of the batch that was not stored: its index in <c>deals</c>, its dealId as sent, the field and why.</summary>
public sealed record ClosedDealRowError(int Index, string? DealId, string Field, string Message);

public sealed class RecordClosedDealsValidator : AbstractValidator<RecordClosedDeals>
{
    public RecordClosedDealsValidator() =>
        RuleFor(x => x.Deals).Cascade(CascadeMode.Stop)
            .Must(d => d.Count > 0).WithMessage("deals must hold at least one deal.")
            .Must(d => d.Count <= RecordClosedDealsHandler.MaxDeals)
            .WithMessage($"A batch may hold at most {RecordClosedDealsHandler.MaxDeals} deals; split it into several requests.")
            .OverridePropertyName("deals");
}

public sealed class RecordClosedDealsHandler(Writer writer, ClosedDealInputValidator validator)
    : ICommandHandler<RecordClosedDeals, ClosedDealBatchResult>
{
    public const int MaxDeals = 1000;
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    public async ValueTask<ClosedDealBatchResult> Handle(RecordClosedDeals command, CancellationToken cancellationToken)
    {
        var errors = new List<ClosedDealRowError>();
        var valid = new List<(int Index, ClosedDealInput Input, ClosedDealRow Row)>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < command.Deals.Count; i++)
        {
            var deal = command.Deals[i];
            if (deal is null) { errors.Add(new ClosedDealRowError(i, null, "$", "A deal object is required.")); continue; }
            var failure = validator.Validate(deal).Errors.FirstOrDefault();
            if (failure is not null)
            {
                errors.Add(new ClosedDealRowError(i, deal.DealId, Infrastructure.Errors.ProblemDetailsExceptionHandler.ToCamelPath(failure.PropertyName), failure.ErrorMessage));
                continue;
            }
            var row = ClosedDealRow.From(deal);
            if (seen.TryGetValue(row.DealId, out var first))
            {
                errors.Add(new ClosedDealRowError(i, deal.DealId, "dealId", $"The same deal is already at index {first} of this batch."));
                continue;
            }
            seen[row.DealId] = i;
            valid.Add((i, deal, row));
        }

        var stored = await writer.ExecuteAsync((c, t) =>
        {
            var result = new Tally();
            var now = Clock.Now();
            var reps = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            foreach (var (index, input, row) in valid)
            {
                t.Save("closed_deal");
                try
                {
                    var rep = input.Rep!.Trim();
                    if (!reps.TryGetValue(rep, out var repId)) reps[rep] = repId = Reps.Resolve(c, t, rep, "rep");
                    var (id, change) = ClosedDealStore.Record(c, t, row, repId, "api", command.Caller.UserId, now, checkReport: true);
                    t.Release("closed_deal");
                    result.Count(change, ClosedDealStore.Read(c, t, id).Status == "waiting");
                }
                catch (Exception ex) when (ex is ValidationException or ProblemException)
                {
                    t.Rollback("closed_deal");
                    t.Release("closed_deal");
                    var (field, message) = ex switch
                    {
                        ValidationException v when v.Errors.FirstOrDefault() is { } f => (f.PropertyName, f.ErrorMessage),
                        ProblemException p when p.Extensions.TryGetValue("field", out var f) && f is string name => (name, p.Detail),
                        _ => ("dealId", ex.Message),
                    };
                    result.Errors.Add(new ClosedDealRowError(index, input.DealId, field, message));
                }
            }
            if (result.Created + result.Updated > 0)
                Audit.Record(c, t, command.Caller, "deal.closed.batch", "deals/closed", new { received = command.Deals.Count, result.Created, result.Updated });
            return result;
        }, cancellationToken);

        errors.AddRange(stored.Errors);
        return new ClosedDealBatchResult
        {
            Received = command.Deals.Count, Created = stored.Created, Updated = stored.Updated, Unchanged = stored.Unchanged,
            Rejected = errors.Count, Waiting = stored.Waiting, Reported = stored.Reported,
            Errors = errors.OrderBy(e => e.Index).ToList(),
        };
    }

    private sealed class Tally
    {
        public int Created, Updated, Unchanged, Waiting, Reported;
        public readonly List<ClosedDealRowError> Errors = [];

        public void Count(DealChange change, bool waiting)
        {
            if (change == DealChange.Created) Created++;
            else if (change == DealChange.Updated) Updated++;
            else Unchanged++;
            if (waiting) Waiting++;
            else Reported++;
        }
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/closed/batch", Endpoint)
            .WithName("RecordClosedDeals")
            .WithSummary("Tell WinLoss up to 1000 deals closed (CRM sync)")
            .WithDescription("Body {deals: [...]}, each as POST /deals/closed. Bad deals are row errors {index, dealId, field, message} and store nothing; the others are stored. More than 1000 deals is 400, a body over 2 MiB 413.")
            .Accepts<ClosedDealsBody>("application/json")
            .RequireAuthorization(Policies.ImportCrm)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<Ok<ClosedDealBatchResult>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<ClosedDealsBody>(http.Request, MaxBodyBytes, cancellationToken);
        if (body.Deals is null) throw Invalid.Field("deals", "deals is required: an array of closed deals.");
        return TypedResults.Ok(await sender.Send(new RecordClosedDeals(body.Deals, Caller.From(http.User)), cancellationToken));
    }
}
