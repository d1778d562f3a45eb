using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>
/// The body posted to a webhook with format "slack": a Slack incoming-webhook message, <c>text</c> (the notification
/// and fallback line) plus <c>blocks</c> (a section in mrkdwn, and a context line naming the event). Built from the
/// event's stored Standard Webhooks payload, so a redelivery renders the same message. Events carrying a
/// <c>summary</c> (alert.raised, digest.weekly, report.requested) are shown through it; report.filed and ping have
/// their own wording.
/// </summary>
public static class SlackMessage
{
    public static byte[] Render(string payload, string? publicUrl)
    {
        using var document = JsonDocument.Parse(payload);
        var root = document.RootElement;
        var type = root.GetProperty("type").GetString() ?? "";
        var data = root.GetProperty("data");
        var (text, detail, link) = type switch
        {
            WebhookEvents.Ping => ("WinLoss test message: this channel is connected.", "Alerts and reports you subscribed to will appear here.", null),
            WebhookEvents.ReportFiled => ReportFiled(data),
            _ => (Str(data, "summary") ?? $"WinLoss: {type}", Str(data, "details"), Str(data, "url")),
        };
        var body = new StringBuilder(Escape(text));
        if (!string.IsNullOrEmpty(detail)) body.Append('\n').Append(Escape(detail));
        if (link is not null && publicUrl is not null) body.Append('\n').Append('<').Append(publicUrl).Append(link).Append("|Open in WinLoss>");
        var message = new JsonObject
        {
            ["text"] = Escape(text),
            ["blocks"] = new JsonArray(
                new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = body.ToString() } },
                new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = Escape($"WinLoss · {type}") }) }),
        };
        return JsonSerializer.SerializeToUtf8Bytes(message);
    }

    private static (string Text, string? Detail, string? Link) ReportFiled(JsonElement data)
    {
        var outcome = Str(data, "outcome") switch { "won" => "won", "lost" => "lost", _ => "ended with no decision" };
        var competitors = data.TryGetProperty("competitors", out var list)
            ? list.EnumerateArray().Select(x => Str(x, "name")).Where(x => x is not null).ToList()
            : [];
        var text = $"Deal {Str(data, "dealId")} {outcome}" +
                   (competitors.Count > 0 && outcome != "won" ? $" (against {string.Join(", ", competitors)})" : "") +
                   (competitors.Count > 0 && outcome == "won" ? $" against {string.Join(", ", competitors)}" : "");
        var parts = new List<string>();
        if (data.TryGetProperty("amount", out var amount) && amount.ValueKind == JsonValueKind.Number)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{Str(data, "currency")} {amount.GetDecimal():#,0.##}"));
        if (Str(data, "segment") is { } segment) parts.Add(segment.Replace('_', ' '));
        if (data.TryGetProperty("reasons", out var reasons) && reasons.GetArrayLength() > 0)
            parts.Add("reasons: " + string.Join(", ", reasons.EnumerateArray().Select(r => Str(r, "category")?.Replace('_', ' '))));
        if (data.TryGetProperty("objections", out var objections) && objections.GetArrayLength() > 0)
            parts.Add("objections: " + string.Join(", ", objections.EnumerateArray().Select(o => o.GetString()?.Replace('_', ' '))));
        return (text, string.Join(" · ", parts), Str(data, "url"));
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Slack mrkdwn needs &amp;, &lt; and &gt; escaped (its link and mention syntax).</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
