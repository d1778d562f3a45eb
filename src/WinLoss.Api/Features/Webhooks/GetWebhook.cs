using System.Text.Json;
using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>One webhook (never its secret); a webhook disabled by a 410 shows when and why.</summary>
public sealed record GetWebhook(long Id) : IQuery<WebhookDto>;

/// <summary>Every webhook that is not deleted, oldest first.</summary>
public sealed record ListWebhooks : IQuery<IReadOnlyList<WebhookDto>>;

public sealed class GetWebhookHandler(Db db) : IQueryHandler<GetWebhook, WebhookDto>
{
    public async ValueTask<WebhookDto> Handle(GetWebhook query, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        return (await WebhookRows.LoadAsync(c, query.Id, cancellationToken)) ?? throw new NotFoundException($"Webhook {query.Id} not found.");
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/{id:long}", Endpoint)
            .WithName("GetWebhook")
            .WithSummary("Read one webhook (the secret is never shown again)")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<WebhookDto>> Endpoint(long id, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetWebhook(id), cancellationToken));
}

public sealed class ListWebhooksHandler(Db db) : IQueryHandler<ListWebhooks, IReadOnlyList<WebhookDto>>
{
    public async ValueTask<IReadOnlyList<WebhookDto>> Handle(ListWebhooks query, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = await c.QueryAsync<WebhookRows.Row>(new CommandDefinition(WebhookRows.SelectSql + " WHERE deleted_at IS NULL ORDER BY id", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToDto()).ToList();
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", Endpoint)
            .WithName("ListWebhooks")
            .WithSummary("List webhooks")
            .RequireAuthorization(Policies.ManageWebhooks);

    private static async Task<Ok<IReadOnlyList<WebhookDto>>> Endpoint(ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListWebhooks(), cancellationToken));
}

/// <summary>Reading webhook rows (shared by the webhook queries and commands).</summary>
public static class WebhookRows
{
    public const string SelectSql =
        """
        SELECT id AS Id, url AS Url, events AS Events, format AS Format, description AS Description, created_at AS CreatedAt,
               created_by AS CreatedBy, disabled_at AS DisabledAt, disabled_reason AS DisabledReason
        FROM webhooks
        """;

    public sealed class Row
    {
        public long Id { get; init; }
        public string Url { get; init; } = "";
        public string Events { get; init; } = "[]";
        public string Format { get; init; } = "";
        public string? Description { get; init; }
        public string CreatedAt { get; init; } = "";
        public long CreatedBy { get; init; }
        public string? DisabledAt { get; init; }
        public string? DisabledReason { get; init; }

        public WebhookDto ToDto() => new(Id, Url, JsonSerializer.Deserialize<string[]>(Events) ?? [], Format, Description, CreatedAt, CreatedBy, DisabledAt, DisabledReason);
    }

    public static async Task<WebhookDto?> LoadAsync(DbConnection c, long id, CancellationToken cancellationToken) =>
        (await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectSql + " WHERE id = @id AND deleted_at IS NULL", new { id }, cancellationToken: cancellationToken)))?.ToDto();

    public static Row? Load(DbConnection c, DbTransaction t, long id) =>
        c.QuerySingleOrDefault<Row>(SelectSql + " WHERE id = @id AND deleted_at IS NULL", new { id }, t);
}
