namespace WinLoss.Api.Features.Webhooks;

public static class WebhookEndpoints
{
    /// <summary>Options, the secret protector, the delivery worker and the alert notifier (hosted services).</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(WebhookOptions.From(configuration));
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDelivery>());
        services.AddHostedService<AlertNotifier>();
        return services;
    }

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks");
        CreateWebhookHandler.Map(group);
        ListWebhooksHandler.Map(group);
        GetWebhookHandler.Map(group);
        DeleteWebhookHandler.Map(group);
        EnableWebhookHandler.Map(group);
        SendToWebhookHandler.Map(group);
        ListDeliveriesHandler.Map(group);
    }
}
