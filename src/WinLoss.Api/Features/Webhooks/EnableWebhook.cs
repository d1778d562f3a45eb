using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>Enable a webhook disabled by a 410 Gone again (new events are delivered; failed ones can be redelivered).</summary>
public sealed record EnableWebhook(long Id, Caller Caller) : ICommand<WebhookDto>;

public sealed class EnableWebhookHandler(Writer writer, WebhookDelivery delivery) : ICommandHandler<EnableWebhook, WebhookDto>
{
    private const string EnableSql = "UPDATE webhooks SET disabled_at = NULL, disabled_reason = NULL WHERE id = @id";

    public async ValueTask<WebhookDto> Handle(EnableWebhook command, CancellationToken cancellationToken)
    {
        var dto = await writer.ExecuteAsync((c, t) =>
        {
            var row = WebhookRows.Load(c, t, command.Id) ?? throw new NotFoundException($"Webhook {command.Id} not found.");
            if (row.DisabledAt is null) return row.ToDto();
            c.Execute(EnableSql, new { id = command.Id }, t);
            Audit.Record(c, t, command.Caller, "webhook.enabled", $"webhook/{command.Id}", new { url = row.Url });
            return WebhookRows.Load(c, t, command.Id)!.ToDto();
        }, cancellationToken);
        delivery.Wake();
        return dto;
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/{id:long}/enable", Endpoint)
            .WithName("EnableWebhook")
            .WithSummary("Enable a webhook that was disabled because its receiver answered 410 Gone")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<Ok<WebhookDto>> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new EnableWebhook(id, Caller.From(http.User)), cancellationToken));
}
