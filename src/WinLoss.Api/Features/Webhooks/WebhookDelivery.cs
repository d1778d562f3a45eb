using System.Data.Common;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>
/// The delivery worker. Every poll interval (or when woken) it reads the pending deliveries that are due and sends
/// each one (up to 8 at a time): POST with the Standard Webhooks headers, the same webhook-id on every attempt, a fresh
/// webhook-timestamp and signature per attempt. The outcome of each attempt is recorded through the writer:
/// 2xx → delivered; 410 Gone → the webhook is disabled and its pending deliveries fail; anything else (other status,
/// 3xx — redirects are not followed —, timeout, refused target, connection error) → retried after the next delay of the
/// schedule (default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: ten attempts over ~3 days, +0-10% jitter), or
/// later when the receiver sent Retry-After; after the last attempt the delivery fails.
/// A delivery stays 'pending' while its attempt is in flight, so a crash (kill -9) in the middle only means it is sent
/// again after the restart: at-least-once, deduplicated by receivers on webhook-id.
/// <para>
/// Several instances on one database (PostgreSQL): before sending, an instance claims the delivery by moving its next
/// attempt past the attempt's timeout (a conditional UPDATE through the writer; only one instance's claim matches).
/// Another instance then sees it as not due; if the claimer dies mid-attempt, the delivery falls due again when the
/// claim runs out (the attempt timeout + 5 s). SQLite has one process: no claim, a restart sends at once.
/// Instances that know of no webhook still look again every <see cref="IdleRecheck"/> (one may have been created on
/// another instance).
/// </para>
/// </summary>
public sealed class WebhookDelivery : BackgroundService
{
    private const int Parallel = 8;
    private static readonly TimeSpan IdleRecheck = TimeSpan.FromSeconds(30);
    private const int ErrorBodyChars = 300;
    private readonly Db _db;
    private readonly Writer _writer;
    private readonly WebhookSecrets _secrets;
    private readonly WebhookOptions _options;
    private readonly ILogger<WebhookDelivery> _logger;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _slots = new(Parallel);
    private readonly ConcurrentDictionary<long, byte> _inFlight = new();
    private volatile bool _anyWebhook;

    public WebhookDelivery(Db db, Writer writer, WebhookSecrets secrets, WebhookOptions options, ILogger<WebhookDelivery> logger)
    {
        _db = db;
        _writer = writer;
        _secrets = secrets;
        _options = options;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false, // a proxy would connect on our behalf, past the address checks
            ConnectCallback = WebhookTargets.ConnectCallback(options.AllowPrivate),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("WinLoss-Webhooks/1.0");
    }

    /// <summary>Look for due deliveries now (after a ping, a redelivery or a new webhook).</summary>
    public void Wake()
    {
        _anyWebhook = true;
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!_anyWebhook)
            {
                try
                {
                    await using var c = await _db.OpenAsync(stoppingToken);
                    _anyWebhook = await c.ExecuteScalarAsync<long>("SELECT EXISTS (SELECT 1 FROM webhooks WHERE deleted_at IS NULL)") == 1;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    _logger.LogError(ex, "Webhook delivery could not read the webhooks; polling anyway");
                    _anyWebhook = true;
                }
            }
            if (_anyWebhook)
            {
                try
                {
                    foreach (var due in await LoadDueAsync(stoppingToken))
                    {
                        if (!_inFlight.TryAdd(due.Id, 0)) continue;
                        if (!await ClaimAsync(due))
                        {
                            _inFlight.TryRemove(due.Id, out _); // another instance took it
                            continue;
                        }
                        await _slots.WaitAsync(stoppingToken);
                        _ = Task.Run(async () =>
                        {
                            try { await AttemptAsync(due, stoppingToken); }
                            finally { _inFlight.TryRemove(due.Id, out _); _slots.Release(); }
                        }, CancellationToken.None);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    _logger.LogError(ex, "Webhook delivery poll failed");
                }
            }
            try
            {
                await _wake.WaitAsync(_anyWebhook ? _options.PollInterval : IdleRecheck, stoppingToken);
            }
            catch (OperationCanceledException) { }
        }
    }

    private const string DueSql =
        """
        SELECT d.id AS Id, d.webhook_id AS WebhookId, d.attempts AS Attempts, d.next_attempt_at AS NextAttemptAt,
               e.message_id AS MessageId, e.type AS Type,
               e.payload AS Payload, w.url AS Url, w.format AS Format, w.secret AS Secret
        FROM webhook_deliveries d
        JOIN webhook_events e ON e.id = d.event_id
        JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.state = 'pending' AND d.next_attempt_at <= @now AND w.deleted_at IS NULL AND w.disabled_at IS NULL
        ORDER BY d.next_attempt_at, d.id
        LIMIT 64
        """;

    private async Task<List<Due>> LoadDueAsync(CancellationToken cancellationToken)
    {
        await using var c = await _db.OpenAsync(cancellationToken);
        return (await c.QueryAsync<Due>(new CommandDefinition(DueSql, new { now = Clock.Now() }, cancellationToken: cancellationToken))).ToList();
    }

    private const string ClaimSql =
        "UPDATE webhook_deliveries SET next_attempt_at = @until WHERE id = @Id AND state = 'pending' AND next_attempt_at = @NextAttemptAt";

    /// <summary>Claims <paramref name="due"/> for this instance until its attempt has surely ended (false: another instance has it).</summary>
    private Task<bool> ClaimAsync(Due due)
    {
        if (!_db.IsPostgreSql) return Task.FromResult(true);
        var until = Clock.Format(DateTimeOffset.UtcNow + _options.Timeout + TimeSpan.FromSeconds(5));
        return _writer.ExecuteAsync((c, t) => c.Execute(ClaimSql, new { due.Id, due.NextAttemptAt, until }, t) == 1);
    }

    private sealed class Due
    {
        public long Id { get; init; }
        public string NextAttemptAt { get; init; } = "";
        public long WebhookId { get; init; }
        public int Attempts { get; init; }
        public string MessageId { get; init; } = "";
        public string Type { get; init; } = "";
        public string Payload { get; init; } = "";
        public string Url { get; init; } = "";
        public string Format { get; init; } = "";
        public byte[] Secret { get; init; } = [];
    }

    private enum Result { Delivered, Gone, Failed }

    private async Task AttemptAsync(Due due, CancellationToken stoppingToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        var result = Result.Failed;
        try
        {
            var body = due.Format == WebhookFormats.Slack ? SlackMessage.Render(due.Payload, _options.PublicUrl) : Encoding.UTF8.GetBytes(due.Payload);
            var timestamp = started.ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, due.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("webhook-id", due.MessageId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(_secrets.Unprotect(due.Secret), due.MessageId, timestamp, body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.Timeout);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode) result = Result.Delivered;
            else
            {
                result = response.StatusCode == HttpStatusCode.Gone ? Result.Gone : Result.Failed;
                retryAfter = RetryAfter(response);
                var text = await ReadStartAsync(response, timeout.Token);
                error = $"HTTP {status}" + (string.IsNullOrWhiteSpace(text) ? "" : ": " + text);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return; // shutting down: the delivery is still pending and is sent after the restart
        }
        catch (OperationCanceledException)
        {
            error = $"No response within {_options.Timeout.TotalSeconds:0.#} s.";
        }
        catch (HttpRequestException ex) when (FindRefusal(ex) is { } refused)
        {
            error = "Refused: " + refused.Message;
        }
        catch (HttpRequestException ex)
        {
            error = "Connection failed: " + ex.Message;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Webhook delivery {Delivery} failed unexpectedly", due.Id);
            error = "Internal error while sending.";
        }

        var now = DateTimeOffset.UtcNow;
        var attempts = due.Attempts + 1;
        string? next = null;
        if (result == Result.Failed && attempts < _options.MaxAttempts)
        {
            var delay = _options.RetrySchedule[attempts - 1];
            delay += TimeSpan.FromTicks((long)(delay.Ticks * 0.1 * Random.Shared.NextDouble())); // jitter: 0-10%
            if (retryAfter is { } wait && wait > delay) delay = wait < TimeSpan.FromDays(1) ? wait : TimeSpan.FromDays(1);
            next = Clock.Format(now + delay);
        }
        var record = new AttemptRecord(due.Id, due.WebhookId, Clock.Format(started), Clock.Format(now), status, error,
            clock.ElapsedMilliseconds, attempts, result, next);
        try
        {
            await _writer.ExecuteAsync((c, t) => Record(c, t, record), CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Could not record the attempt of webhook delivery {Delivery}; it will be attempted again", due.Id);
        }
        if (result == Result.Gone) _logger.LogWarning("Webhook {Webhook} answered 410 Gone and was disabled", due.WebhookId);
    }

    private sealed record AttemptRecord(long DeliveryId, long WebhookId, string At, string Now, int? Status, string? Error,
        long DurationMs, int Attempts, Result Result, string? NextAttemptAt);

    private const string InsertAttemptSql =
        "INSERT INTO webhook_attempts (delivery_id, attempted_at, status, error, duration_ms) VALUES (@DeliveryId, @At, @Status, @Error, @DurationMs)";
    private const string DeliveredSql =
        """
        UPDATE webhook_deliveries SET state = 'delivered', attempts = @Attempts, last_attempt_at = @At, last_status = @Status,
               last_error = NULL, delivered_at = @Now, next_attempt_at = NULL
        WHERE id = @DeliveryId
        """;
    private const string RetrySql =
        """
        UPDATE webhook_deliveries SET state = CASE WHEN @NextAttemptAt IS NULL THEN 'failed' ELSE 'pending' END,
               attempts = @Attempts, last_attempt_at = @At, last_status = @Status, last_error = @Error, next_attempt_at = @NextAttemptAt
        WHERE id = @DeliveryId AND state = 'pending'
        """;
    private const string DisableSql =
        """
        UPDATE webhooks SET disabled_at = @Now, disabled_reason = 'The receiver answered 410 Gone.'
        WHERE id = @WebhookId AND disabled_at IS NULL;
        UPDATE webhook_deliveries SET state = 'failed', last_error = 'Webhook disabled: the receiver answered 410 Gone.', next_attempt_at = NULL
        WHERE webhook_id = @WebhookId AND state = 'pending';
        """;

    private static void Record(DbConnection c, DbTransaction t, AttemptRecord r)
    {
        c.Execute(InsertAttemptSql, new { r.DeliveryId, r.At, r.Status, r.Error, r.DurationMs }, t);
        switch (r.Result)
        {
            case Result.Delivered:
                c.Execute(DeliveredSql, new { r.DeliveryId, r.Attempts, r.At, r.Status, r.Now }, t);
                break;
            case Result.Gone:
                c.Execute(RetrySql, new { r.DeliveryId, r.Attempts, r.At, r.Status, r.Error, NextAttemptAt = (string?)null }, t);
                c.Execute(DisableSql, new { r.WebhookId, r.Now }, t);
                break;
            default:
                c.Execute(RetrySql, new { r.DeliveryId, r.Attempts, r.At, r.Status, r.Error, r.NextAttemptAt }, t);
                break;
        }
    }

    /// <summary>Retry-After as delta-seconds or an HTTP date.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[ErrorBodyChars * 4];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            var text = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return text.Length > ErrorBodyChars ? text[..ErrorBodyChars] + "…" : text;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            return "";
        }
    }

    private static WebhookTargetRefusedException? FindRefusal(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is WebhookTargetRefusedException refused) return refused;
        return null;
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}
