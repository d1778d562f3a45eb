using System.Text.Json;
using System.Text.Json.Serialization;
using System.Data.Common;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>
/// The transactional outbox. <see cref="Raise"/> runs inside the writer transaction of the change that raised the
/// event: the event row and one pending delivery per subscribed, enabled webhook commit together with the change, or
/// not at all. The <see cref="WebhookDelivery"/> worker sends them afterwards. Only SQL happens here, so the calling
/// writer job stays repeatable; when no webhook subscribes to the type, the cost is one prepared SELECT.
/// </summary>
public static class WebhookOutbox
{
    private const string AnySubscriberSql =
        "SELECT EXISTS (SELECT 1 FROM webhooks WHERE deleted_at IS NULL AND disabled_at IS NULL AND instr(events, @quoted) > 0)";
    private const string InsertEventSql =
        "INSERT INTO webhook_events (message_id, type, payload, created_at) VALUES (@messageId, @type, @payload, @now)";
    private const string InsertDeliveriesSql =
        """
        INSERT INTO webhook_deliveries (webhook_id, event_id, state, attempts, next_attempt_at, created_at)
        SELECT id, @eventId, 'pending', 0, @now, @now FROM webhooks
        WHERE deleted_at IS NULL AND disabled_at IS NULL AND instr(events, @quoted) > 0
        """;
    private const string InsertOneDeliverySql =
        """
        INSERT INTO webhook_deliveries (webhook_id, event_id, state, attempts, next_attempt_at, created_at, redelivery_of)
        VALUES (@webhookId, @eventId, 'pending', 0, @now, @now, @redeliveryOf)
        """;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Records <paramref name="type"/> with <paramref name="data"/> for every webhook subscribed to it; returns the event id (null: nobody listens).</summary>
    public static long? Raise(DbConnection c, DbTransaction t, string type, object data)
    {
        var quoted = "\"" + type + "\"";
        if (c.Scalar<long>(t, AnySubscriberSql, new { quoted }) == 0) return null;
        var now = Clock.Now();
        var eventId = InsertEvent(c, t, type, data, now);
        c.Exec(t, InsertDeliveriesSql, new { eventId, now, quoted });
        return eventId;
    }

    /// <summary>An event for one webhook only (ping, redelivery of a new copy); returns the delivery id.</summary>
    public static long RaiseFor(DbConnection c, DbTransaction t, long webhookId, string type, object data)
    {
        var now = Clock.Now();
        var eventId = InsertEvent(c, t, type, data, now);
        return c.Insert(t, InsertOneDeliverySql, new { webhookId, eventId, now, redeliveryOf = (long?)null });
    }

    /// <summary>A new delivery of an existing event (same webhook-id) to one webhook, due now.</summary>
    public static long Redeliver(DbConnection c, DbTransaction t, long webhookId, long eventId, long redeliveryOf) =>
        c.Insert(t, InsertOneDeliverySql, new { webhookId, eventId, now = Clock.Now(), redeliveryOf = (long?)redeliveryOf });

    private static long InsertEvent(DbConnection c, DbTransaction t, string type, object data, string now)
    {
        var messageId = "msg_" + Guid.CreateVersion7().ToString("N");
        var payload = JsonSerializer.Serialize(new EventBody(type, now, data), Json);
        return c.Insert(t, InsertEventSql, new { messageId, type, payload, now });
    }

    private sealed record EventBody(string Type, string Timestamp, object Data);

    /// <summary>report.filed, raised in the transaction that stores a newly filed report (not by CRM imports).</summary>
    public static void ReportFiled(DbConnection c, DbTransaction t, ReportDto report) =>
        Raise(c, t, WebhookEvents.ReportFiled, new ReportFiledData(
            report.Id, report.DealId, report.Outcome, report.ClosedOn, report.Amount, report.Currency, report.Segment,
            report.StageReached, report.Region, report.Product, report.AccountName,
            report.Competitors.Select(x => new ReportFiledCompetitor(x.Name, x.CompetitorId, x.Primary)).ToList(),
            report.Reasons.Select(x => new ReportFiledReason(x.Category, x.Primary)).ToList(),
            report.Objections.Select(x => x.Category).Distinct().ToList(),
            report.RepId, report.CreatedAt, $"/api/v1/reports/{report.Id}"));
}

/// <summary>The data of report.filed: what a channel needs to read the deal at a glance (no notes or free text).</summary>
public sealed record ReportFiledData(
    long ReportId, string DealId, string Outcome, string ClosedOn, decimal? Amount, string? Currency, string? Segment,
    string? StageReached, string? Region, string? Product, string? AccountName,
    IReadOnlyList<ReportFiledCompetitor> Competitors, IReadOnlyList<ReportFiledReason> Reasons, IReadOnlyList<string> Objections,
    long RepId, string FiledAt, string Url);

public sealed record ReportFiledCompetitor(string Name, long? CompetitorId, bool Primary);
public sealed record ReportFiledReason(string Category, bool Primary);
