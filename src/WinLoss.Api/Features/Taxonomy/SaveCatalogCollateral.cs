using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

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
    private const string GetSql = $"SELECT {ListCatalogCollateralHandler.Columns} FROM catalog_collateral WHERE id = @id";
    private const string InsertSql =
        """
        INSERT INTO catalog_collateral (id, title, kind, url, active, created_at, updated_at)
        VALUES (@Id, @Title, @Kind, @Url, @Active, @Now, @Now)
        """;
    private const string UpdateSql =
        "UPDATE catalog_collateral SET title = @Title, kind = @Kind, url = @Url, active = @Active, updated_at = @Now WHERE id = @Id";

    public async ValueTask<CatalogCollateralDto> Handle(SaveCatalogCollateral command, CancellationToken cancellationToken)
    {
        var saved = await writer.ExecuteAsync((c, t) =>
        {
            var b = command.Body;
            var id = command.Write == CatalogWrite.Create ? b.Id! : command.PathId!;
            var current = c.QuerySingleOrDefault<ListCatalogCollateralHandler.Row>(GetSql, new { id }, t);
            var now = Clock.Now();
            ListCatalogCollateralHandler.Row next;
            if (command.Write == CatalogWrite.Create)
            {
                if (current is not null)
                    throw new ConflictException($"A collateral item with id '{id}' exists already.",
                        new Dictionary<string, object?> { ["field"] = "id", ["existing"] = $"/api/v1/catalog/collateral/{id}" });
                next = new() { Id = id, Title = b.Title!.Trim(), Kind = CatalogRules.Clean(b.Kind), Url = CatalogRules.Clean(b.Url), Active = b.Active ?? true, CreatedAt = now, UpdatedAt = now };
                c.Execute(InsertSql, new { next.Id, next.Title, next.Kind, next.Url, Active = next.Active ? 1L : 0L, Now = now }, t);
            }
            else
            {
                if (current is null) throw new NotFoundException($"Collateral '{id}' not found.");
                next = command.Write == CatalogWrite.Replace
                    ? new() { Id = id, Title = b.Title!.Trim(), Kind = CatalogRules.Clean(b.Kind), Url = CatalogRules.Clean(b.Url), Active = b.Active!.Value, CreatedAt = current.CreatedAt, UpdatedAt = now }
                    : new()
                    {
                        Id = id, Title = b.Title?.Trim() ?? current.Title, Kind = b.Kind is null ? current.Kind : CatalogRules.Clean(b.Kind),
                        Url = b.Url is null ? current.Url : CatalogRules.Clean(b.Url), Active = b.Active ?? current.Active, CreatedAt = current.CreatedAt, UpdatedAt = now,
                    };
                c.Execute(UpdateSql, new { next.Id, next.Title, next.Kind, next.Url, Active = next.Active ? 1L : 0L, Now = now }, t);
            }
            Audit.Record(c, t, command.Caller, command.Write == CatalogWrite.Create ? "catalog.collateral_created" : "catalog.collateral_updated",
                $"catalog/collateral/{id}", new { next.Title, next.Kind, next.Url, next.Active });
            return next.Dto();
        }, cancellationToken);
        taxonomy.Invalidate();
        return saved;
    }

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/", Create)
            .WithName("CreateCatalogCollateral")
            .WithSummary("Add a collateral item to the catalogue")
            .Accepts<CatalogCollateralBody>("application/json")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id}", Replace)
            .WithName("ReplaceCatalogCollateral")
            .WithSummary("Replace a catalogue collateral item (title and active required)")
            .Accepts<CatalogCollateralBody>("application/json")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPatch("/{id}", Patch)
            .WithName("PatchCatalogCollateral")
            .WithSummary("Change some fields of a catalogue collateral item, e.g. {\"active\": false} to deactivate it")
            .Accepts<CatalogCollateralBody>("application/json")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Created<CatalogCollateralDto>> Create(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var item = await Send(CatalogWrite.Create, null, http, sender, cancellationToken);
        return TypedResults.Created($"/api/v1/catalog/collateral/{Uri.EscapeDataString(item.Id)}", item);
    }

    private static async Task<Ok<CatalogCollateralDto>> Replace(string id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await Send(CatalogWrite.Replace, id, http, sender, cancellationToken));

    private static async Task<Ok<CatalogCollateralDto>> Patch(string id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await Send(CatalogWrite.Patch, id, http, sender, cancellationToken));

    private static async Task<CatalogCollateralDto> Send(CatalogWrite write, string? id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<CatalogCollateralBody>(http.Request, cancellationToken: cancellationToken);
        return await sender.Send(new SaveCatalogCollateral(write, id, body, Caller.From(http.User)), cancellationToken);
    }
}
