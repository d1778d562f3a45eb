using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>The buyer feedback of one deal, oldest first (deleted entries only with includeDeleted=true). An unknown deal is an empty list.</summary>
public sealed record ListBuyerFeedback(string DealId, bool IncludeDeleted) : IQuery<BuyerFeedbackList>;

public sealed record BuyerFeedbackList(string DealId, long? ReportId, IReadOnlyList<BuyerFeedbackDto> Items);

public sealed class ListBuyerFeedbackValidator : AbstractValidator<ListBuyerFeedback>
{
    public ListBuyerFeedbackValidator() =>
        RuleFor(x => x.DealId).Must(BuyerFeedbackRules.IsDealId).WithMessage("dealId must be 1 to 64 characters on one line.").OverridePropertyName("dealId");
}

public sealed class ListBuyerFeedbackHandler(Db db) : IQueryHandler<ListBuyerFeedback, BuyerFeedbackList>
{
    private const string IdsSql =
        """
        SELECT id FROM buyer_feedback WHERE deal_id = @dealId AND (@all = 1 OR deleted_at IS NULL) ORDER BY id LIMIT 1000;
        SELECT id FROM reports WHERE deal_id = @dealId AND deleted_at IS NULL;
        """;

    public async ValueTask<BuyerFeedbackList> Handle(ListBuyerFeedback query, CancellationToken cancellationToken)
    {
        var dealId = query.DealId.Trim();
        await using var connection = await db.OpenAsync(cancellationToken);
        using var grid = await connection.QueryMultipleAsync(new CommandDefinition(IdsSql, new { dealId, all = query.IncludeDeleted ? 1 : 0 }, cancellationToken: cancellationToken));
        var ids = (await grid.ReadAsync<long>()).ToList();
        var reportId = await grid.ReadSingleOrDefaultAsync<long?>();
        return new BuyerFeedbackList(dealId, reportId, await BuyerFeedbackStore.LoadAsync(connection, ids));
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", Endpoint)
            .WithName("ListBuyerFeedback")
            .WithSummary("List a deal's buyer feedback (interviews and survey answers)")
            .RequireAuthorization(Policies.ReadBuyerFeedback)
            .ProducesValidationProblem();

    private static async Task<Ok<BuyerFeedbackList>> Endpoint(string dealId, bool? includeDeleted, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListBuyerFeedback(dealId, includeDeleted == true), cancellationToken));
}
