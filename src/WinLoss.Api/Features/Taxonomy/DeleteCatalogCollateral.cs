using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>
/// Delete a catalogue collateral item that no report (live or deleted) names — a typo, say. A collateral item any report
/// names is never deleted: 409 with the count; deactivate it instead (PATCH {"active": false}).
/// </summary>
public sealed record DeleteCatalogCollateral(string Id, Caller Caller) : ICommand;

public sealed class DeleteCatalogCollateralValidator : AbstractValidator<DeleteCatalogCollateral>
{
    public DeleteCatalogCollateralValidator() => RuleFor(x => x.Id).NotEmpty().OverridePropertyName("id");
}

public sealed class DeleteCatalogCollateralHandler(Writer writer, TaxonomyCache taxonomy) : ICommandHandler<DeleteCatalogCollateral>
{
    private const string ExistsSql = "SELECT COUNT(*) FROM catalog_collateral WHERE id = @id";
    private const string UsesSql = "SELECT COUNT(DISTINCT report_id) FROM report_collateral WHERE collateral_id = @id";
    private const string DeleteSql = "DELETE FROM catalog_collateral WHERE id = @id";

    public async ValueTask<Unit> Handle(DeleteCatalogCollateral command, CancellationToken cancellationToken)
    {
        await writer.ExecuteAsync((c, t) =>
        {
            var id = command.Id;
            if (c.ExecuteScalar<long>(ExistsSql, new { id }, t) == 0) throw new NotFoundException($"Collateral '{id}' not found.");
            var reports = c.ExecuteScalar<long>(UsesSql, new { id }, t);
            if (reports > 0)
                throw new ConflictException($"Collateral '{id}' is named by {reports} report(s) and cannot be deleted; deactivate it instead (PATCH {{\"active\": false}}).",
                    new Dictionary<string, object?> { ["reports"] = reports });
            c.Execute(DeleteSql, new { id }, t);
            Audit.Record(c, t, command.Caller, "catalog.collateral_deleted", $"catalog/collateral/{id}", null);
        }, cancellationToken);
        taxonomy.Invalidate();
        return Unit.Value;
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapDelete("/{id}", Endpoint)
            .WithName("DeleteCatalogCollateral")
            .WithSummary("Delete a collateral item no report names (409 when any does: deactivate it instead)")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<NoContent> Endpoint(string id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        await sender.Send(new DeleteCatalogCollateral(id, Caller.From(http.User)), cancellationToken);
        return TypedResults.NoContent();
    }
}
