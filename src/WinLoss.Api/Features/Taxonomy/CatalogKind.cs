using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>A catalogue write's body whatever the kind: <see cref="Field1"/> and <see cref="Field2"/> are the kind's two descriptive fields.</summary>
public sealed record CatalogFields(string? Id, string? Title, string? Field1, string? Field2, bool? Active);

/// <summary>A stored catalogue item; the kind's two descriptive columns are read as Field1 and Field2.</summary>
public sealed class CatalogRow
{
    public string Id { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Field1 { get; init; }
    public string? Field2 { get; init; }
    public bool Active { get; init; }
    public string CreatedAt { get; init; } = "";
    public string UpdatedAt { get; init; } = "";
}

/// <summary>
/// One catalogue (messages or collateral): what tells it apart (table, its two descriptive columns, the report table that
/// names its items, wording, body and DTO) and the mechanics both catalogues share: list with the active filter, get,
/// create/replace/patch, delete unless a report names the item, an audit entry per change, the taxonomy cache invalidated
/// after it. The use case files keep their requests, validators, handlers and endpoint names and call these.
/// </summary>
/// <param name="path">URL segment: items live at /api/v1/catalog/{path}/{id}; audit targets are catalog/{path}/{id}.</param>
/// <param name="columns">The two descriptive columns of <paramref name="table"/>, in the order of the DTO.</param>
/// <param name="namedBy">The table and column through which reports name an item.</param>
/// <param name="auditName">Audit actions are catalog.{auditName}_created, _updated and _deleted.</param>
/// <param name="noun">Starts 404 and 409 details: "Message 'x' not found."</param>
/// <param name="nounWithArticle">Starts the duplicate-id detail: "A message with id 'x' exists already."</param>
public sealed class CatalogKind<TBody, TDto>(
    string path, string table, (string First, string Second) columns, (string Table, string Column) namedBy,
    string auditName, string noun, string nounWithArticle,
    Func<TBody, CatalogFields> fields, Func<CatalogRow, TDto> dto)
    where TBody : class
{
    private readonly string _selectSql =
        $"SELECT id AS Id, title AS Title, {columns.First} AS Field1, {columns.Second} AS Field2, active AS Active, created_at AS CreatedAt, updated_at AS UpdatedAt FROM {table}";
    private readonly string _insertSql =
        $"INSERT INTO {table} (id, title, {columns.First}, {columns.Second}, active, created_at, updated_at) VALUES (@Id, @Title, @Field1, @Field2, @Active, @Now, @Now)";
    private readonly string _updateSql =
        $"UPDATE {table} SET title = @Title, {columns.First} = @Field1, {columns.Second} = @Field2, active = @Active, updated_at = @Now WHERE id = @Id";
    private readonly string _existsSql = $"SELECT COUNT(*) FROM {table} WHERE id = @id";
    private readonly string _namedSql = $"SELECT COUNT(DISTINCT report_id) FROM {namedBy.Table} WHERE {namedBy.Column} = @id";
    private readonly string _deleteSql = $"DELETE FROM {table} WHERE id = @id";

    private string Url(string id) => $"/api/v1/catalog/{path}/{id}";

    private NotFoundException NotFound(string id) => new($"{noun} '{id}' not found.");

    public async Task<IReadOnlyList<TDto>> ListAsync(Db db, bool? active, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<CatalogRow>(new CommandDefinition(
            $"{_selectSql} WHERE @active IS NULL OR active = @active ORDER BY id",
            new { active = active is { } a ? (a ? 1L : 0L) : (long?)null }, cancellationToken: cancellationToken));
        return rows.Select(dto).ToList();
    }

    public async Task<TDto> GetAsync(Db db, string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<CatalogRow>(new CommandDefinition($"{_selectSql} WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? throw NotFound(id) : dto(row);
    }

    /// <summary>Create (409 when the id exists), replace (absent fields become null) or patch (only the fields sent change).</summary>
    public async Task<TDto> SaveAsync(Writer writer, TaxonomyCache taxonomy, CatalogWrite write, string? pathId, TBody body, Caller caller, CancellationToken cancellationToken)
    {
        var b = fields(body);
        var saved = await writer.ExecuteAsync((c, t) =>
        {
            var id = write == CatalogWrite.Create ? b.Id! : pathId!;
            var current = c.QuerySingleOrDefault<CatalogRow>($"{_selectSql} WHERE id = @id", new { id }, t);
            if (write == CatalogWrite.Create && current is not null)
                throw new ConflictException($"{nounWithArticle} with id '{id}' exists already.",
                    new Dictionary<string, object?> { ["field"] = "id", ["existing"] = Url(id) });
            if (write != CatalogWrite.Create && current is null) throw NotFound(id);
            var now = Clock.Now();
            var next = write == CatalogWrite.Patch
                ? new CatalogRow
                {
                    Id = id, Title = b.Title?.Trim() ?? current!.Title,
                    Field1 = b.Field1 is null ? current!.Field1 : CatalogRules.Clean(b.Field1),
                    Field2 = b.Field2 is null ? current!.Field2 : CatalogRules.Clean(b.Field2),
                    Active = b.Active ?? current!.Active, CreatedAt = current!.CreatedAt, UpdatedAt = now,
                }
                : new CatalogRow
                {
                    Id = id, Title = b.Title!.Trim(), Field1 = CatalogRules.Clean(b.Field1), Field2 = CatalogRules.Clean(b.Field2),
                    Active = write == CatalogWrite.Create ? b.Active ?? true : b.Active!.Value,
                    CreatedAt = current?.CreatedAt ?? now, UpdatedAt = now,
                };
            c.Execute(write == CatalogWrite.Create ? _insertSql : _updateSql,
                new { next.Id, next.Title, next.Field1, next.Field2, Active = next.Active ? 1L : 0L, Now = now }, t);
            Audit.Record(c, t, caller, write == CatalogWrite.Create ? $"catalog.{auditName}_created" : $"catalog.{auditName}_updated", $"catalog/{path}/{id}",
                new Dictionary<string, object?> { ["title"] = next.Title, [columns.First] = next.Field1, [columns.Second] = next.Field2, ["active"] = next.Active });
            return dto(next);
        }, cancellationToken);
        taxonomy.Invalidate();
        return saved;
    }

    /// <summary>Delete an item no report (live or deleted) names; one that any report names is a 409 with the count.</summary>
    public async Task DeleteAsync(Writer writer, TaxonomyCache taxonomy, string id, Caller caller, CancellationToken cancellationToken)
    {
        await writer.ExecuteAsync((c, t) =>
        {
            if (c.ExecuteScalar<long>(_existsSql, new { id }, t) == 0) throw NotFound(id);
            var reports = c.ExecuteScalar<long>(_namedSql, new { id }, t);
            if (reports > 0)
                throw new ConflictException($"{noun} '{id}' is named by {reports} report(s) and cannot be deleted; deactivate it instead (PATCH {{\"active\": false}}).",
                    new Dictionary<string, object?> { ["reports"] = reports });
            c.Execute(_deleteSql, new { id }, t);
            Audit.Record(c, t, caller, $"catalog.{auditName}_deleted", $"catalog/{path}/{id}", null);
        }, cancellationToken);
        taxonomy.Invalidate();
    }

    /// <summary>GET / (active=true|false filters) and GET /{id}, for every role that reads the taxonomy.</summary>
    public void MapList<TList>(RouteGroupBuilder group, Func<bool?, IQuery<TList>> list, Func<string, IQuery<TDto>> get,
        (string Name, string Summary) listEndpoint, (string Name, string Summary) getEndpoint)
    {
        group.MapGet("/", async Task<Ok<TList>> (string? active, ISender sender, CancellationToken cancellationToken) =>
                TypedResults.Ok(await sender.Send(list(QueryInt.Bool(active, "active")), cancellationToken)))
            .WithName(listEndpoint.Name)
            .WithSummary(listEndpoint.Summary)
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesValidationProblem();
        group.MapGet("/{id}", async Task<Ok<TDto>> (string id, ISender sender, CancellationToken cancellationToken) =>
                TypedResults.Ok(await sender.Send(get(id), cancellationToken)))
            .WithName(getEndpoint.Name)
            .WithSummary(getEndpoint.Summary)
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>POST / (201 with Location), PUT /{id} and PATCH /{id}, for the roles that write the catalogue.</summary>
    public void MapSave(RouteGroupBuilder group, Func<CatalogWrite, string?, TBody, Caller, ICommand<TDto>> save,
        (string Name, string Summary) createEndpoint, (string Name, string Summary) replaceEndpoint, (string Name, string Summary) patchEndpoint)
    {
        async Task<(TDto Item, CatalogFields Sent)> Send(CatalogWrite write, string? id, HttpContext http, ISender sender, CancellationToken cancellationToken)
        {
            var (body, _) = await JsonBody.ReadAsync<TBody>(http.Request, cancellationToken: cancellationToken);
            return (await sender.Send(save(write, id, body, Caller.From(http.User)), cancellationToken), fields(body));
        }

        group.MapPost("/", async Task<Created<TDto>> (HttpContext http, ISender sender, CancellationToken cancellationToken) =>
            {
                var (item, sent) = await Send(CatalogWrite.Create, null, http, sender, cancellationToken);
                return TypedResults.Created(Url(Uri.EscapeDataString(sent.Id!)), item);
            })
            .WithName(createEndpoint.Name)
            .WithSummary(createEndpoint.Summary)
            .Accepts<TBody>("application/json")
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        MapUpdate(HttpMethods.Put, CatalogWrite.Replace, replaceEndpoint);
        MapUpdate(HttpMethods.Patch, CatalogWrite.Patch, patchEndpoint);

        void MapUpdate(string method, CatalogWrite write, (string Name, string Summary) endpoint) =>
            group.MapMethods("/{id}", [method], async Task<Ok<TDto>> (string id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
                    TypedResults.Ok((await Send(write, id, http, sender, cancellationToken)).Item))
                .WithName(endpoint.Name)
                .WithSummary(endpoint.Summary)
                .Accepts<TBody>("application/json")
                .RequireAuthorization(Policies.WriteCatalog)
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>DELETE /{id}: 204, 404, or 409 when a report names the item.</summary>
    public void MapDelete(RouteGroupBuilder group, Func<string, Caller, ICommand> delete, (string Name, string Summary) endpoint) =>
        group.MapDelete("/{id}", async Task<NoContent> (string id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
            {
                await sender.Send(delete(id, Caller.From(http.User)), cancellationToken);
                return TypedResults.NoContent();
            })
            .WithName(endpoint.Name)
            .WithSummary(endpoint.Summary)
            .RequireAuthorization(Policies.WriteCatalog)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
}
