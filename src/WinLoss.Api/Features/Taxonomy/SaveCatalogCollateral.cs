using FluentValidation;
using Mediator;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>
/// Create (POST, 409 when the id exists), replace (PUT) or patch (PATCH) a catalogue collateral item.
/// Deactivate with <c>{"active": false}</c>: reports already naming it keep it; new reports may not name it.
/// </summary>
public sealed record SaveCatalogCollateral(CatalogWrite Write, string? PathId, CatalogCollateralBody Body, Caller Caller) : ICommand<CatalogCollateralDto>;

public sealed class SaveCatalogCollateralValidator : AbstractValidator<SaveCatalogCollateral>
{
    public SaveCatalogCollateralValidator() =>
        RuleFor(x => x).Custom((command, context) =>
        {
            var b = command.Body;
            CatalogRules.CheckCommon(context, command.Write, b.Id, command.PathId, b.Title, b.Active);
            CatalogRules.CheckShortText(context, "kind", b.Kind, 50);
            if (b.Url is not null && !CatalogRules.IsHttpUrl(b.Url))
                context.AddFailure("url", "url must be an absolute http or https URL of at most 2,000 characters.");
        });
}

public sealed class SaveCatalogCollateralHandler(Writer writer, TaxonomyCache taxonomy) : ICommandHandler<SaveCatalogCollateral, CatalogCollateralDto>
{
    public async ValueTask<CatalogCollateralDto> Handle(SaveCatalogCollateral command, CancellationToken cancellationToken) =>
        await Catalogs.Collateral.SaveAsync(writer, taxonomy, command.Write, command.PathId, command.Body, command.Caller, cancellationToken);

    public static void Map(RouteGroupBuilder group) =>
        Catalogs.Collateral.MapSave(group, (write, id, body, caller) => new SaveCatalogCollateral(write, id, body, caller),
            createEndpoint: ("CreateCatalogCollateral", "Add a collateral item to the catalogue"),
            replaceEndpoint: ("ReplaceCatalogCollateral", "Replace a catalogue collateral item (title and active required)"),
            patchEndpoint: ("PatchCatalogCollateral", "Change some fields of a catalogue collateral item, e.g. {\"active\": false} to deactivate it"));
}
