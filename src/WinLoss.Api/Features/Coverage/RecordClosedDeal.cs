using Dapper;
using FluentValidation;
using Mediator;
using System.Data.Common;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// The CRM tells WinLoss that a deal closed. Idempotent on dealId (after normalisation): the same deal again changes
/// nothing, changed values update it. Without a rep's report the deal waits for one in its rep's list.
/// </summary>
public sealed record RecordClosedDeal(ClosedDealInput Deal, Caller Caller) : ICommand<RecordedDeal>;

/// <summary><c>change</c>: created | updated | unchanged; <c>deal</c>: the stored deal and whether it waits for a report.</summary>
public sealed record RecordedDeal(string Change, ClosedDealDto Deal);

public sealed class RecordClosedDealValidator : AbstractValidator<RecordClosedDeal>
{
    public RecordClosedDealValidator(ClosedDealInputValidator deal) =>
        RuleFor(x => x).Custom((command, context) =>
        {
            foreach (var failure in deal.Validate(command.Deal).Errors) context.AddFailure(failure);
        });
}

public sealed class RecordClosedDealHandler(Writer writer) : ICommandHandler<RecordClosedDeal, RecordedDeal>
{
    public async ValueTask<RecordedDeal> Handle(RecordClosedDeal command, CancellationToken cancellationToken)
    {
        var row = ClosedDealRow.From(command.Deal);
        return await writer.ExecuteAsync((c, t) =>
        {
            var repId = Reps.Resolve(c, t, command.Deal.Rep!, "rep");
            var now = Clock.Now();
            var (id, change) = ClosedDealStore.Record(c, t, row, repId, "api", command.Caller.UserId, now, checkReport: true);
            if (change != DealChange.Unchanged)
                Audit.Record(c, t, command.Caller, "deal.closed." + Name(change), $"deal/{row.DealId}", null);
            return new RecordedDeal(Name(change), ClosedDealStore.Read(c, t, id));
        }, cancellationToken);
    }

    public static string Name(DealChange change) => change switch
    {
        DealChange.Created => "created",
        DealChange.Updated => "updated",
        _ => "unchanged",
    };

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/closed", Endpoint)
            .WithName("RecordClosedDeal")
            .WithSummary("Tell WinLoss a deal closed (CRM integration)")
            .WithDescription("Idempotent on dealId. 201 when new, 200 when updated or unchanged. A deal without a rep's report becomes a request in its rep's waiting list. 409 when a rep's report for the deal says another outcome or names another rep.")
            .Accepts<ClosedDealInput>("application/json")
            .Produces<RecordedDeal>(StatusCodes.Status201Created)
            .Produces<RecordedDeal>()
            .RequireAuthorization(Policies.ImportCrm)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<IResult> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (input, _) = await JsonBody.ReadAsync<ClosedDealInput>(http.Request, cancellationToken: cancellationToken);
        var result = await sender.Send(new RecordClosedDeal(input, Caller.From(http.User)), cancellationToken);
        return result.Change == "created"
            ? TypedResults.Created($"/api/v1/deals/closed/{Uri.EscapeDataString(result.Deal.DealId)}", result)
            : TypedResults.Ok(result);
    }
}

/// <summary>Who a CRM's "rep" is: the email of a user (who must have role rep), else a rep's display name if exactly one rep has it.</summary>
public static class Reps
{
    private const string ByEmailSql = "SELECT id AS Id, role AS Role FROM users WHERE email = @rep COLLATE NOCASE";
    private const string ByNameSql = "SELECT id FROM users WHERE role = 'rep' AND display_name = @rep COLLATE NOCASE ORDER BY id LIMIT 2";

    public static long Resolve(DbConnection c, DbTransaction t, string rep, string field)
    {
        rep = rep.Trim();
        if (c.QuerySingleOrDefault<(long Id, string Role)?>(ByEmailSql, new { rep }, t) is { } user)
            return user.Role == Roles.Rep ? user.Id : throw Invalid.Field(field, $"'{rep}' is a user with role {user.Role}, not a rep.");
        var byName = c.Query<long>(ByNameSql, new { rep }, t).ToList();
        return byName.Count switch
        {
            1 => byName[0],
            0 => throw Invalid.Field(field, $"No rep '{rep}': send the email of a user with role rep (create reps with POST /api/v1/users)."),
            _ => throw Invalid.Field(field, $"More than one rep is named '{rep}': send the rep's email."),
        };
    }
}
