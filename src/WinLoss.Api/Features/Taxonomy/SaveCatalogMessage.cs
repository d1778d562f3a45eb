using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

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
    private const string GetSql = $"SELECT {ListCatalogMessagesHandler.Columns} FROM catalog_messages WHERE id = @id";
    private const string InsertSql =
        """
        INSERT INTO catalog_messages (id, title, pillar, stage, active, created_at, updated_at)
        VALUES (@Id, @Title, @Pillar, @Stage, @Active, @Now, @Now)
        """;
    private const string UpdateSql =
        "UPDATE catalog_messages SET title = @Title, pillar = @Pillar, stage = @Stage, active = @Active, updated_at = @Now WHERE id = @Id";

    public async ValueTask<CatalogMessageDto> Handle(SaveCatalogMessage command, CancellationToken cancellationToken)
    {
        var saved = await writer.ExecuteAsync((c, t) =>
        {
            var b = command.Body;
            var id = command.Write == CatalogWrite.Create ? b.Id! : command.PathId!;
            var current = c.QuerySingleOrDefault<ListCatalogMessagesHandler.Row>(GetSql, new { id }, t);
            var now = Clock.Now();
            ListCatalogMessagesHandler.Row next;
            if (command.Write == CatalogWrite.Create)
            {
                if (current is not null)
                    throw new ConflictException($"A message with id '{id}' exists already.",
                        new Dictionary<string, object?> { ["field"] = "id", ["existing"] = $"/api/v1/catalog/messages/{id}" });
                next = new() { Id = id, Title = b.Title!.Trim(), Pillar = CatalogRules.Clean(b.Pillar), Stage = b.Stage, Active = b.Active ?? true, CreatedAt = now, UpdatedAt = now };
                c.Execute(InsertSql, new { next.Id, next.Title, next.Pillar, next.Stage, Active = next.Active ? 1L : 0L, Now = now }, t);
            }
            else
            {
                if (current is null) throw new NotFoundException($"Message '{id}' not found.");
                next = command.Write == CatalogWrite.Replace
                    ? new() { Id = id, Title = b.Title!.Trim(), Pillar = CatalogRules.Clean(b.Pillar), Stage = b.Stage, Active = b.Active!.Value, CreatedAt = current.CreatedAt, UpdatedAt = now }
                    : new()
                    {
                        Id = id, Title = b.Title?.Trim() ?? current.Title, Pillar = b.Pillar is null ? current.Pillar : CatalogRules.Clean(b.Pillar),
                        Stage = b.Stage ?? current.Stage, Active = b.Active ?? current.Active, CreatedAt = current.CreatedAt, UpdatedAt = now,
                    };
                c.Execute(UpdateSql, new { next.Id, next.Title, next.Pillar, next.Stage, Active = next.Active ? 1L : 0L, Now = now }, t);
            }
            Audit.Record(c, t, command.Caller, command.Write == CatalogWrite.Create ? "catalog.message_created" : "catalog.message_updated",
                $"catalog/messages/{id}", new { next.Title, next.Pillar, next.Stage, next.Active });
            return next.Dto();
        }, cancellationToken);
        taxonomy.Invalidate();
        return saved;
    }

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/", Create)
            .WithName("CreateCatalogMessage")
            .WithSummary("Add a message to the catalogue")
            .Accepts<CatalogMessageBody>("application/json")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id}", Replace)
            .WithName("ReplaceCatalogMessage")
            .WithSummary("Replace a catalogue message (title and active required)")
            .Accepts<CatalogMessageBody>("application/json")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPatch("/{id}", Patch)
            .WithName("PatchCatalogMessage")
            .WithSummary("Change some fields of a catalogue message, e.g. {\"active\": false} to deactivate it")
            .Accepts<CatalogMessageBody>("application/json")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Created<CatalogMessageDto>> Create(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var message = await Send(CatalogWrite.Create, null, http, sender, cancellationToken);
        return TypedResults.Created($"/api/v1/catalog/messages/{Uri.EscapeDataString(message.Id)}", message);
    }

    private static async Task<Ok<CatalogMessageDto>> Replace(string id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await Send(CatalogWrite.Replace, id, http, sender, cancellationToken));

    private static async Task<Ok<CatalogMessageDto>> Patch(string id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await Send(CatalogWrite.Patch, id, http, sender, cancellationToken));

    private static async Task<CatalogMessageDto> Send(CatalogWrite write, string? id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<CatalogMessageBody>(http.Request, cancellationToken: cancellationToken);
        return await sender.Send(new SaveCatalogMessage(write, id, body, Caller.From(http.User)), cancellationToken);
    }
}
