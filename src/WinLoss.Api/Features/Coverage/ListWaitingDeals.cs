using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// "Deals waiting for your report": the caller's closed deals that have no rep's report yet, newest close first, with
/// what the CRM knows (to prefill the form). A rep sees only their own; analysts and admins may ask for any rep
/// (<c>repId</c>) or for everyone. Read from the write store, so a filed report takes its deal off the list at once.
/// </summary>
public sealed record ListWaitingDeals(Caller Caller, long? RepId, int Limit) : IQuery<WaitingDeals>;

/// <summary><c>total</c>: all waiting deals of the selection; <c>deals</c>: the first <c>limit</c> of them.</summary>
public sealed record WaitingDeals(long Total, IReadOnlyList<WaitingDeal> Deals);

public sealed record WaitingDeal(
    string DealId, string Outcome, string ClosedOn, long RepId, string RepName, decimal? Amount, string? Currency,
    string? Account, string? Competitor, string? Segment, string? Region, string? Product, string Source, string RequestedAt, int DaysSinceClose);

public sealed class ListWaitingDealsHandler(Db db) : IQueryHandler<ListWaitingDeals, WaitingDeals>
{
    public const int MaxLimit = 500;

    private const string Waiting =
        """
        FROM closed_deals d JOIN users u ON u.id = d.rep_id
        WHERE (@repId IS NULL OR d.rep_id = @repId)
          AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.deal_id = d.deal_id AND r.deleted_at IS NULL
                          AND NOT EXISTS (SELECT 1 FROM crm_import_deals i WHERE i.report_id = r.id))
        """;
    private const string CountSql = "SELECT COUNT(*) " + Waiting;
    private const string ListSql =
        """
        SELECT d.deal_id AS DealId, d.outcome AS Outcome, d.closed_on AS ClosedOn, d.rep_id AS RepId, u.display_name AS RepName,
               d.amount_cents AS AmountCents, d.currency AS Currency, d.account_name AS Account, d.competitor AS Competitor,
               d.segment AS Segment, d.region AS Region, d.product AS Product, d.source AS Source, d.created_at AS RequestedAt
        """ + "\n" + Waiting + "\nORDER BY d.closed_on DESC, d.id DESC LIMIT @limit";

    public async ValueTask<WaitingDeals> Handle(ListWaitingDeals query, CancellationToken cancellationToken)
    {
        long? repId;
        if (query.Caller.IsRep)
        {
            if (query.RepId is { } asked && asked != query.Caller.UserId) throw new NotFoundException("No such rep.");
            repId = query.Caller.UserId;
        }
        else if (query.Caller.CanActForOthers) repId = query.RepId;
        else throw new ForbiddenException("The waiting list is for reps (their own) and for analysts and admins.");

        await using var c = await db.OpenAsync(cancellationToken);
        var args = new { repId, limit = query.Limit };
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition(CountSql, args, cancellationToken: cancellationToken));
        var rows = await c.QueryAsync<Row>(new CommandDefinition(ListSql, args, cancellationToken: cancellationToken));
        var today = Clock.TodayUtc();
        return new WaitingDeals(total, rows.Select(r => new WaitingDeal(
            r.DealId, r.Outcome, r.ClosedOn, r.RepId, r.RepName, ClosedDealRow.Money(r.AmountCents), r.Currency, r.Account,
            r.Competitor, r.Segment, r.Region, r.Product, r.Source, r.RequestedAt,
            today.DayNumber - DateOnly.ParseExact(r.ClosedOn, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture).DayNumber)).ToList());
    }

    private sealed class Row
    {
        public string DealId { get; init; } = "";
        public string Outcome { get; init; } = "";
        public string ClosedOn { get; init; } = "";
        public long RepId { get; init; }
        public string RepName { get; init; } = "";
        public long? AmountCents { get; init; }
        public string? Currency { get; init; }
        public string? Account { get; init; }
        public string? Competitor { get; init; }
        public string? Segment { get; init; }
        public string? Region { get; init; }
        public string? Product { get; init; }
        public string Source { get; init; } = "";
        public string RequestedAt { get; init; } = "";
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/waiting", Endpoint)
            .WithName("ListWaitingDeals")
            .WithSummary("Closed deals waiting for their rep's report")
            .WithDescription("A rep gets their own; analysts and admins any rep's (repId) or all. limit 1-500, default 100.")
            .RequireAuthorization(Policies.FileReport) // who files reports: reps (their own), analysts and admins (any rep's)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden);

    private static async Task<Ok<WaitingDeals>> Endpoint(string? repId, string? limit, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var rep = QueryInt.Long(repId, "repId");
        var n = QueryInt.Int(limit, "limit") ?? 100;
        if (n is < 1 or > MaxLimit) throw Invalid.Field("limit", $"limit must be between 1 and {MaxLimit}.");
        return TypedResults.Ok(await sender.Send(new ListWaitingDeals(Caller.From(http.User), rep, n), cancellationToken));
    }
}
