using FluentValidation;
using Mediator;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>
/// Create (POST, 409 when the id exists), replace (PUT) or patch (PATCH) a catalogue message.
/// Deactivate with <c>{"active": false}</c>: reports already naming it keep it; new reports may not name it.
/// </summary>
public sealed record SaveCatalogMessage(CatalogWrite Write, string? PathId, CatalogMessageBody Body, Caller Caller) : ICommand<CatalogMessageDto>;

public sealed class SaveCatalogMessageValidator : AbstractValidator<SaveCatalogMessage>
{
    public SaveCatalogMessageValidator() =>
        RuleFor(x => x).Custom((command, context) =>
        {
            var b = command.Body;
            CatalogRules.CheckCommon(context, command.Write, b.Id, command.PathId, b.Title, b.Active);
            CatalogRules.CheckShortText(context, "pillar", b.Pillar, 100);
            if (b.Stage is not null && !ReportRules.Stages.Contains(b.Stage))
                context.AddFailure("stage", "stage must be one of: qualification, discovery, demo, proposal, negotiation, closing.");
        });
}

public sealed class SaveCatalogMessageHandler(Writer writer, TaxonomyCache taxonomy) : ICommandHandler<SaveCatalogMessage, CatalogMessageDto>
{
    public async ValueTask<CatalogMessageDto> Handle(SaveCatalogMessage command, CancellationToken cancellationToken) =>
        await Catalogs.Messages.SaveAsync(writer, taxonomy, command.Write, command.PathId, command.Body, command.Caller, cancellationToken);

    public static void Map(RouteGroupBuilder group) =>
        Catalogs.Messages.MapSave(group, (write, id, body, caller) => new SaveCatalogMessage(write, id, body, caller),
            createEndpoint: ("CreateCatalogMessage", "Add a message to the catalogue"),
            replaceEndpoint: ("ReplaceCatalogMessage", "Replace a catalogue message (title and active required)"),
            patchEndpoint: ("PatchCatalogMessage", "Change some fields of a catalogue message, e.g. {\"active\": false} to deactivate it"));
}
