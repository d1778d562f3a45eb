using FluentValidation;
using Mediator;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>
/// Delete a catalogue message that no report (live or deleted) names — a typo, say. A message any report
/// names is never deleted: 409 with the count; deactivate it instead (PATCH {"active": false}).
/// </summary>
public sealed record DeleteCatalogMessage(string Id, Caller Caller) : ICommand;

public sealed class DeleteCatalogMessageValidator : AbstractValidator<DeleteCatalogMessage>
{
    public DeleteCatalogMessageValidator() => RuleFor(x => x.Id).NotEmpty().OverridePropertyName("id");
}

public sealed class DeleteCatalogMessageHandler(Writer writer, TaxonomyCache taxonomy) : ICommandHandler<DeleteCatalogMessage>
{
    public async ValueTask<Unit> Handle(DeleteCatalogMessage command, CancellationToken cancellationToken)
    {
        await Catalogs.Messages.DeleteAsync(writer, taxonomy, command.Id, command.Caller, cancellationToken);
        return Unit.Value;
    }

    public static void Map(RouteGroupBuilder group) =>
        Catalogs.Messages.MapDelete(group, (id, caller) => new DeleteCatalogMessage(id, caller),
            ("DeleteCatalogMessage", "Delete a message no report names (409 when any does: deactivate it instead)"));
}
