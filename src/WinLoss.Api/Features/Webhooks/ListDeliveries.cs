using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>
/// A webhook's deliveries, newest first: event type, webhook-id, state (pending | delivered | failed), attempts so far,
/// the last status or error, when the next retry is due, and the log of every attempt (time, status, error, duration).
/// </summary>
public sealed record ListDeliveries(long WebhookId, string? State, int Limit) : IQuery<IReadOnlyList<DeliveryDto>>;

/// <summary>One delivery of a webhook, with its attempts.</summary>
public sealed record GetDelivery(long WebhookId, long DeliveryId) : IQuery<DeliveryDto>;

public sealed class ListDeliveriesValidator : AbstractValidator<ListDeliveries>
{
    public ListDeliveriesValidator()
    {
        RuleFor(x => x.State).Must(s => s is null or "pending" or "delivered" or "failed")
            .WithMessage("state must be pending, delivered or failed.").OverridePropertyName("state");
        RuleFor(x => x.Limit).InclusiveBetween(1, 500).WithMessage("limit must be 1 to 500.").OverridePropertyName("limit");
    }
}

public sealed class ListDeliveriesHandler(Db db) : IQueryHandler<ListDeliveries, IReadOnlyList<DeliveryDto>>, IQueryHandler<GetDelivery, DeliveryDto>
{
    private const string ListSql =
        """
        SELECT d.id AS Id, d.webhook_id AS WebhookId, e.type AS EventType, e.message_id AS MessageId, d.state AS State,
               d.attempts AS Attempts, d.created_at AS CreatedAt, d.last_attempt_at AS LastAttemptAt, d.last_status AS LastStatus,
               d.last_error AS LastError, d.next_attempt_at AS NextAttemptAt, d.delivered_at AS DeliveredAt, d.redelivery_of AS RedeliveryOf
        FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
        WHERE d.webhook_id = @webhookId AND (@state IS NULL OR d.state = @state) AND (@deliveryId IS NULL OR d.id = @deliveryId)
        ORDER BY d.id DESC
        LIMIT @limit
        """;
    private const string AttemptsSql =
        """
        SELECT delivery_id AS DeliveryId, attempted_at AS At, status AS Status, error AS Error, duration_ms AS DurationMs
        FROM webhook_attempts WHERE delivery_id IN @ids ORDER BY id
        """;

    public async ValueTask<IReadOnlyList<DeliveryDto>> Handle(ListDeliveries query, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        _ = await WebhookRows.LoadAsync(c, query.WebhookId, cancellationToken) ?? throw new NotFoundException($"Webhook {query.WebhookId} not found.");
        return await ReadAsync(c, query.WebhookId, query.State, null, query.Limit, cancellationToken);
    }

    public async ValueTask<DeliveryDto> Handle(GetDelivery query, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken);
        _ = await WebhookRows.LoadAsync(c, query.WebhookId, cancellationToken) ?? throw new NotFoundException($"Webhook {query.WebhookId} not found.");
        return (await ReadAsync(c, query.WebhookId, null, query.DeliveryId, 1, cancellationToken)).SingleOrDefault()
            ?? throw new NotFoundException($"Delivery {query.DeliveryId} of webhook {query.WebhookId} not found.");
    }

    private static async Task<IReadOnlyList<DeliveryDto>> ReadAsync(DbConnection c, long webhookId, string? state, long? deliveryId, int limit, CancellationToken cancellationToken)
    {
        var rows = (await c.QueryAsync<Row>(new CommandDefinition(ListSql, new { webhookId, state, deliveryId, limit }, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0) return [];
        var attempts = (await c.QueryAsync<AttemptRow>(new CommandDefinition(Dialect.Of(c).Adapt(AttemptsSql), new { ids = rows.Select(r => r.Id).ToArray() }, cancellationToken: cancellationToken)))
            .ToLookup(a => a.DeliveryId);
        return rows.Select(r => new DeliveryDto(r.Id, r.WebhookId, r.EventType, r.MessageId, r.State, r.Attempts, r.CreatedAt, r.LastAttemptAt,
            r.LastStatus, r.LastError, r.NextAttemptAt, r.DeliveredAt, r.RedeliveryOf,
            attempts[r.Id].Select(a => new DeliveryAttemptDto(a.At, a.Status, a.Error, a.DurationMs)).ToList())).ToList();
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public long WebhookId { get; init; }
        public string EventType { get; init; } = "";
        public string MessageId { get; init; } = "";
        public string State { get; init; } = "";
        public int Attempts { get; init; }
        public string CreatedAt { get; init; } = "";
        public string? LastAttemptAt { get; init; }
        public int? LastStatus { get; init; }
        public string? LastError { get; init; }
        public string? NextAttemptAt { get; init; }
        public string? DeliveredAt { get; init; }
        public long? RedeliveryOf { get; init; }
    }

    private sealed class AttemptRow
    {
        public long DeliveryId { get; init; }
        public string At { get; init; } = "";
        public int? Status { get; init; }
        public string? Error { get; init; }
        public long DurationMs { get; init; }
    }

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/{id:long}/deliveries", ListEndpoint)
            .WithName("ListWebhookDeliveries")
            .WithSummary("List a webhook's deliveries, newest first (state, attempts, last status, next retry, attempt log)")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:long}/deliveries/{deliveryId:long}", GetEndpoint)
            .WithName("GetWebhookDelivery")
            .WithSummary("Read one delivery with its attempts")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Ok<IReadOnlyList<DeliveryDto>>> ListEndpoint(long id, string? state, HttpRequest request, ISender sender, CancellationToken cancellationToken)
    {
        var limit = 50;
        if (request.Query.TryGetValue("limit", out var raw) && !int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit))
            throw Invalid.Field("limit", "limit must be a whole number from 1 to 500.");
        return TypedResults.Ok(await sender.Send(new ListDeliveries(id, state, limit), cancellationToken));
    }

    private static async Task<Ok<DeliveryDto>> GetEndpoint(long id, long deliveryId, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new GetDelivery(id, deliveryId), cancellationToken));
}
