using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>Send a <c>ping</c> event to one webhook now (to check the receiver, its signature check, the Slack channel).</summary>
public sealed record TestWebhook(long WebhookId, Caller Caller) : ICommand<DeliveryDto>;

/// <summary>
/// Send an event again to a webhook, as a new delivery of the same message (same webhook-id, so receivers that
/// already processed it can tell), due at once — after an outage, or to replay one that failed.
/// </summary>
public sealed record RedeliverWebhook(long WebhookId, long DeliveryId, Caller Caller) : ICommand<DeliveryDto>;

public sealed class SendToWebhookHandler(Writer writer, WebhookDelivery delivery, ISender sender)
    : ICommandHandler<TestWebhook, DeliveryDto>, ICommandHandler<RedeliverWebhook, DeliveryDto>
{
    private const string EventOfDeliverySql = "SELECT event_id FROM webhook_deliveries WHERE id = @deliveryId AND webhook_id = @webhookId";

    public async ValueTask<DeliveryDto> Handle(TestWebhook command, CancellationToken cancellationToken)
    {
        var id = await writer.ExecuteAsync((c, t) =>
        {
            EnsureEnabled(WebhookRows.Load(c, t, command.WebhookId), command.WebhookId);
            return WebhookOutbox.RaiseFor(c, t, command.WebhookId, WebhookEvents.Ping, new PingData(command.WebhookId, "Test event from WinLoss.", command.Caller.UserId));
        }, cancellationToken);
        delivery.Wake();
        return await sender.Send(new GetDelivery(command.WebhookId, id), cancellationToken);
    }

    public async ValueTask<DeliveryDto> Handle(RedeliverWebhook command, CancellationToken cancellationToken)
    {
        var id = await writer.ExecuteAsync((c, t) =>
        {
            EnsureEnabled(WebhookRows.Load(c, t, command.WebhookId), command.WebhookId);
            var eventId = c.ExecuteScalar<long?>(EventOfDeliverySql, new { deliveryId = command.DeliveryId, webhookId = command.WebhookId }, t)
                ?? throw new NotFoundException($"Delivery {command.DeliveryId} of webhook {command.WebhookId} not found.");
            return WebhookOutbox.Redeliver(c, t, command.WebhookId, eventId, command.DeliveryId);
        }, cancellationToken);
        delivery.Wake();
        return await sender.Send(new GetDelivery(command.WebhookId, id), cancellationToken);
    }

    private static void EnsureEnabled(WebhookRows.Row? row, long id)
    {
        if (row is null) throw new NotFoundException($"Webhook {id} not found.");
        if (row.DisabledAt is not null)
            throw new ConflictException($"Webhook {id} is disabled since {row.DisabledAt} ({row.DisabledReason}). Enable it first: POST /api/v1/webhooks/{id}/enable.");
    }

    public sealed record PingData(long WebhookId, string Message, long SentBy);

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/{id:long}/test", TestEndpoint)
            .WithName("TestWebhook")
            .WithSummary("Send a ping event to this webhook now; returns the queued delivery (202)")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/deliveries/{deliveryId:long}/redeliver", RedeliverEndpoint)
            .WithName("RedeliverWebhook")
            .WithSummary("Send a delivery's event again (same webhook-id), as a new delivery due now (202)")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Accepted<DeliveryDto>> TestEndpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var queued = await sender.Send(new TestWebhook(id, Caller.From(http.User)), cancellationToken);
        return TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries/{queued.Id}", queued);
    }

    private static async Task<Accepted<DeliveryDto>> RedeliverEndpoint(long id, long deliveryId, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var queued = await sender.Send(new RedeliverWebhook(id, deliveryId, Caller.From(http.User)), cancellationToken);
        return TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries/{queued.Id}", queued);
    }
}
