using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>Delete a webhook: nothing more is sent to it (its pending deliveries fail); its delivery history is kept.</summary>
public sealed record DeleteWebhook(long Id, Caller Caller) : ICommand;

public sealed class DeleteWebhookHandler(Writer writer) : ICommandHandler<DeleteWebhook>
{
    private const string DeleteSql =
        """
        UPDATE webhooks SET deleted_at = @now WHERE id = @id AND deleted_at IS NULL;
        UPDATE webhook_deliveries SET state = 'failed', last_error = 'Webhook deleted.', next_attempt_at = NULL
        WHERE webhook_id = @id AND state = 'pending';
        """;

    public async ValueTask<Unit> Handle(DeleteWebhook command, CancellationToken cancellationToken)
    {
        await writer.ExecuteAsync((c, t) =>
        {
            var row = WebhookRows.Load(c, t, command.Id) ?? throw new NotFoundException($"Webhook {command.Id} not found.");
            c.Execute(DeleteSql, new { id = command.Id, now = Clock.Now() }, t);
            Audit.Record(c, t, command.Caller, "webhook.deleted", $"webhook/{command.Id}", new { url = row.Url });
        }, cancellationToken);
        return Unit.Value;
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapDelete("/{id:long}", Endpoint)
            .WithName("DeleteWebhook")
            .WithSummary("Delete a webhook (stops all deliveries to it)")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesProblem(StatusCodes.Status404NotFound);

    private static async Task<NoContent> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        await sender.Send(new DeleteWebhook(id, Caller.From(http.User)), cancellationToken);
        return TypedResults.NoContent();
    }
}
