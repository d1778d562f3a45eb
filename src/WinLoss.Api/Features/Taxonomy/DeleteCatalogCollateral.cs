using FluentValidation;
using Mediator;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

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
    public async ValueTask<Unit> Handle(DeleteCatalogCollateral command, CancellationToken cancellationToken)
    {
        await Catalogs.Collateral.DeleteAsync(writer, taxonomy, command.Id, command.Caller, cancellationToken);
        return Unit.Value;
    }

    public static void Map(RouteGroupBuilder group) =>
        Catalogs.Collateral.MapDelete(group, (id, caller) => new DeleteCatalogCollateral(id, caller),
            ("DeleteCatalogCollateral", "Delete a collateral item no report names (409 when any does: deactivate it instead)"));
}
