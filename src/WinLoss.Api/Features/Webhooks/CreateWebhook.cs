using System.Text.Json;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Webhooks;

public sealed record CreateWebhookInput
{
    public string? Url { get; init; }
    public IReadOnlyList<string?>? Events { get; init; }
    public string? Format { get; init; }
    public string? Description { get; init; }
}

/// <summary>
/// Register a webhook: a URL, the event types it receives, and the body format ("standard": Standard Webhooks JSON;
/// "slack": a Slack incoming-webhook message). Returns its signing secret (whsec_…) this once. The URL must be https and
/// resolve only to public addresses (unless WINLOSS_WEBHOOKS_ALLOW_PRIVATE=true, which also permits http).
/// </summary>
public sealed record CreateWebhook(CreateWebhookInput Webhook, Caller Caller) : ICommand<CreatedWebhookDto>;

public sealed class CreateWebhookValidator : AbstractValidator<CreateWebhook>
{
    public const int MaxUrl = 2048;
    public const int MaxDescription = 200;

    public CreateWebhookValidator(WebhookOptions options)
    {
        RuleFor(x => x.Webhook.Url).Cascade(CascadeMode.Stop)
            .Must(v => !string.IsNullOrWhiteSpace(v)).WithMessage("url is required.")
            .Must(v => v!.Length <= MaxUrl).WithMessage($"url may be at most {MaxUrl} characters.")
            .Must(v => Uri.TryCreate(v!.Trim(), UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || (options.AllowPrivate && u.Scheme == Uri.UriSchemeHttp))
                       && !string.IsNullOrEmpty(u.Host) && string.IsNullOrEmpty(u.UserInfo) && string.IsNullOrEmpty(u.Fragment))
            .WithMessage(options.AllowPrivate
                ? "url must be an absolute http(s) URL without user info or fragment."
                : "url must be an absolute https URL without user info or fragment.")
            .OverridePropertyName("url");
        RuleFor(x => x.Webhook.Events).Custom((events, context) =>
        {
            if (events is null || events.Count == 0)
            {
                context.AddFailure("events", "events is required: one or more of " + string.Join(", ", WebhookEvents.Subscribable) + ".");
                return;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (e is null || !WebhookEvents.Subscribable.Contains(e))
                    context.AddFailure($"events[{i}]", "Unknown event type; use one of " + string.Join(", ", WebhookEvents.Subscribable) + ".");
                else if (!seen.Add(e))
                    context.AddFailure($"events[{i}]", $"'{e}' is listed twice.");
            }
        });
        RuleFor(x => x.Webhook.Format)
            .Must(v => v is null || WebhookFormats.All.Contains(v)).WithMessage("format must be standard or slack.")
            .OverridePropertyName("format");
        RuleFor(x => x.Webhook.Description)
            .Must(v => v is null || (v.Trim().Length <= MaxDescription && !v.Contains('\n') && !v.Contains('\r')))
            .WithMessage($"description must be one line of at most {MaxDescription} characters.")
            .OverridePropertyName("description");
    }
}

public sealed class CreateWebhookHandler(Writer writer, WebhookSecrets secrets, WebhookOptions options, WebhookDelivery delivery)
    : ICommandHandler<CreateWebhook, CreatedWebhookDto>
{
    private const string InsertSql =
        """
        INSERT INTO webhooks (url, events, format, description, secret, created_at, created_by)
        VALUES (@url, @events, @format, @description, @secret, @now, @by)
        RETURNING id
        """;

    public async ValueTask<CreatedWebhookDto> Handle(CreateWebhook command, CancellationToken cancellationToken)
    {
        var input = command.Webhook;
        var url = new Uri(input.Url!.Trim());
        try
        {
            await WebhookTargets.ResolveAsync(url.IdnHost, options.AllowPrivate, cancellationToken);
        }
        catch (WebhookTargetRefusedException ex)
        {
            throw Invalid.Field("url", ex.Message);
        }
        var events = input.Events!.Select(e => e!).ToList();
        var format = input.Format ?? WebhookFormats.Standard;
        var description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim();
        var key = WebhookSignature.NewKey();
        var stored = secrets.Protect(key);
        var now = Clock.Now();
        var id = await writer.ExecuteAsync((c, t) =>
        {
            var id = Dapper.SqlMapper.ExecuteScalar<long>(c, InsertSql, new
            {
                url = url.AbsoluteUri, events = JsonSerializer.Serialize(events), format, description, secret = stored, now, by = command.Caller.UserId,
            }, t);
            Audit.Record(c, t, command.Caller, "webhook.created", $"webhook/{id}", new { url = url.AbsoluteUri, events, format });
            return id;
        }, cancellationToken);
        delivery.Wake();
        return new CreatedWebhookDto(id, url.AbsoluteUri, events, format, description, now, command.Caller.UserId, WebhookSignature.Format(key));
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/", Endpoint)
            .WithName("CreateWebhook")
            .WithSummary("Register a webhook; returns its signing secret (whsec_…, shown once)")
            .WithDescription("Events: report.filed, alert.raised, digest.weekly, report.requested. Format standard (Standard Webhooks 1.0, signed) or slack (Slack incoming-webhook body). See docs/webhooks.md.")
            .Accepts<CreateWebhookInput>("application/json")
            .RequireAuthorization(Policies.ManageWebhooks)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    private static async Task<Created<CreatedWebhookDto>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (input, _) = await JsonBody.ReadAsync<CreateWebhookInput>(http.Request, cancellationToken: cancellationToken);
        var created = await sender.Send(new CreateWebhook(input, Caller.From(http.User)), cancellationToken);
        return TypedResults.Created($"/api/v1/webhooks/{created.Id}", created);
    }
}
