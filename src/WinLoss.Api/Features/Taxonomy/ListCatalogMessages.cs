using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>The message catalogue by id; <c>active=true|false</c> filters.</summary>
public sealed record ListCatalogMessages(bool? Active) : IQuery<CatalogMessageList>;

/// <summary>One catalogue message.</summary>
public sealed record GetCatalogMessage(string Id) : IQuery<CatalogMessageDto>;

public sealed class ListCatalogMessagesHandler(Db db) : IQueryHandler<ListCatalogMessages, CatalogMessageList>
{
    public const string Columns =
        "id AS Id, title AS Title, pillar AS Pillar, stage AS Stage, active AS Active, created_at AS CreatedAt, updated_at AS UpdatedAt";
    private const string ListSql = $"SELECT {Columns} FROM catalog_messages WHERE @active IS NULL OR active = @active ORDER BY id";

    public sealed class Row
    {
        public string Id { get; init; } = "";
        public string Title { get; init; } = "";
        public string? Pillar { get; init; }
        public string? Stage { get; init; }
        public bool Active { get; init; }
        public string CreatedAt { get; init; } = "";
        public string UpdatedAt { get; init; } = "";
        public CatalogMessageDto Dto() => new(Id, Title, Pillar, Stage, Active, CreatedAt, UpdatedAt);
    }

    public async ValueTask<CatalogMessageList> Handle(ListCatalogMessages query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(ListSql, new { active = query.Active is { } a ? (a ? 1L : 0L) : (long?)null }, cancellationToken: cancellationToken));
        return new CatalogMessageList(rows.Select(r => r.Dto()).ToList());
    }

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", List)
            .WithName("ListCatalogMessages")
            .WithSummary("The message catalogue (active=true|false filters)")
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesValidationProblem();
        group.MapGet("/{id}", Get)
            .WithName("GetCatalogMessage")
            .WithSummary("One catalogue message")
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Ok<CatalogMessageList>> List(string? active, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListCatalogMessages(QueryInt.Bool(active, "active")), cancellationToken));

    private static async Task<Ok<CatalogMessageDto>> Get(string id, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetCatalogMessage(id), cancellationToken));
}

public sealed class GetCatalogMessageHandler(Db db) : IQueryHandler<GetCatalogMessage, CatalogMessageDto>
{
    private const string GetSql = $"SELECT {ListCatalogMessagesHandler.Columns} FROM catalog_messages WHERE id = @id";

    public async ValueTask<CatalogMessageDto> Handle(GetCatalogMessage query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ListCatalogMessagesHandler.Row>(new CommandDefinition(GetSql, new { id = query.Id }, cancellationToken: cancellationToken));
        return row?.Dto() ?? throw new NotFoundException($"Message '{query.Id}' not found.");
    }
}
