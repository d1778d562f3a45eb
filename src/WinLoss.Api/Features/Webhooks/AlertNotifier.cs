using System.Globalization;
using Dapper;
using Mediator;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Webhooks;

/// <summary>An alert as pushed to webhooks: a stable identity, one sentence, and the alert itself.</summary>
public sealed record AlertNotice(string Key, string Kind, string Subject, string Period, string Summary, string? Details, string Url, object Alert);

/// <summary>The data of alert.raised.</summary>
public sealed record AlertRaisedData(string Kind, string Subject, string Granularity, string Period, string Summary, string? Details, string Url, object Alert);

/// <summary>The data of digest.weekly: the week's pushed alerts and the week-on-week moves.</summary>
public sealed record DigestWeeklyData(string Week, string From, string To, IReadOnlyList<DigestAlert> Alerts, IReadOnlyList<DigestMove> Moves, string Summary, string Details, string Url);

public sealed record DigestAlert(string Kind, string Subject, string Period, string Summary, string RaisedAt);
public sealed record DigestMove(string Kind, string Subject, string Summary);

/// <summary>
/// Turns the alerts query into notices: the one place that knows the shape of <see cref="GetTrendAlerts"/>'s answer.
/// </summary>
public static class AlertNotices
{
    public static async Task<(string Period, IReadOnlyList<AlertNotice> Notices)> CurrentAsync(ISender sender, string granularity, string? to, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetTrendAlerts(new TrendParameters { Granularity = granularity, To = to }), cancellationToken);
        var notices = result.Alerts.Select(a =>
        {
            var subject = a.Category ?? a.Competitor?.Name ?? "(none)";
            var subjectKey = a.Category ?? (a.Competitor is { } c ? c.Id?.ToString(CultureInfo.InvariantCulture) ?? "u" + c.Name : "none");
            // A rise is one alert per period; a falling win rate is one alert per CUSUM run (it can last several periods).
            var key = a.Cusum is { } cusum
                ? $"{a.Kind}|{subjectKey}|run-{cusum.RunStart.ReportId}"
                : $"{a.Kind}|{subjectKey}|{result.Granularity}|{result.Period}";
            var details = a.Q is { } q
                ? string.Create(CultureInfo.InvariantCulture, $"Change {a.Delta * 100:+0.#;-0.#} pts; p = {a.P:0.####}, q = {q:0.####} (false-discovery rate {result.Fdr:0.##}).")
                : a.Cusum is { } s
                    ? string.Create(CultureInfo.InvariantCulture, $"CUSUM {s.Statistic:0.##} ≥ h = {s.H:0.###} (baseline {s.P0 * 100:0.#}% over {s.BaselineDeals} deals; tuned to detect {s.P1 * 100:0.#}%).")
                    : null;
            var url = to is null ? $"/app/trends?granularity={result.Granularity}" : $"/app/trends?granularity={result.Granularity}&to={to}";
            return new AlertNotice(key, a.Kind, subject, result.Period, a.Summary, details, url, a);
        }).ToList();
        return (result.Period, notices);
    }
}

/// <summary>
/// Pushes alerts: every WINLOSS_ALERTS_INTERVAL (default 5 min), while some webhook subscribes to alert.raised or
/// digest.weekly, it evaluates the current alerts (the alerts endpoint with its defaults: this month against the last)
/// and raises alert.raised for each alert not raised before — once per alert and period, however many later reports
/// keep it true (the raised_alerts table remembers, across restarts). Once an ISO week is complete (from Monday 00:00
/// UTC), it raises one digest.weekly for it: the alerts pushed during that week, the week-on-week alerts, and the three
/// biggest week-on-week moves in competitor win rates (n ≥ 10 decided deals in each week).
/// </summary>
public sealed class AlertNotifier(IServiceScopeFactory scopes, Db db, Writer writer, WebhookDelivery delivery, IConfiguration configuration, ILogger<AlertNotifier> logger)
    : BackgroundService
{
    private const string SubscribersSql =
        """
        SELECT EXISTS (SELECT 1 FROM webhooks WHERE deleted_at IS NULL AND disabled_at IS NULL
                       AND (instr(events, '"alert.raised"') > 0 OR instr(events, '"digest.weekly"') > 0))
        """;
    private const string InsertAlertSql =
        """
        INSERT INTO raised_alerts (alert_key, kind, subject, period, summary, raised_at)
        VALUES (@Key, @Kind, @Subject, @Period, @Summary, @now)
        ON CONFLICT DO NOTHING
        """;
    private const string SetAlertEventSql = "UPDATE raised_alerts SET event_id = @eventId WHERE alert_key = @key";
    private const string DigestExistsSql = "SELECT COUNT(*) FROM weekly_digests WHERE week = @week";
    private const string InsertDigestSql = "INSERT INTO weekly_digests (week, sent_at, event_id) VALUES (@week, @now, @eventId) ON CONFLICT DO NOTHING";
    private const string WeekAlertsSql =
        """
        SELECT kind AS Kind, subject AS Subject, period AS Period, summary AS Summary, raised_at AS RaisedAt
        FROM raised_alerts WHERE raised_at >= @from AND raised_at < @to ORDER BY raised_at
        """;

    public TimeSpan Interval { get; } = (configuration["WINLOSS_ALERTS_INTERVAL"] ?? Environment.GetEnvironmentVariable("WINLOSS_ALERTS_INTERVAL")) is { Length: > 0 } s
        ? WebhookOptions.ParseDuration(s) : TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Checking alerts for webhooks failed");
            }
            try { await Task.Delay(Interval, stoppingToken); } catch (OperationCanceledException) { }
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await using (var c = await db.OpenAsync(cancellationToken))
            if (await c.ExecuteScalarAsync<long>(SubscribersSql) == 0) return;

        await using var scope = scopes.CreateAsyncScope();
        var sender = scope.ServiceProvider.GetRequiredService<ISender>();
        var (_, notices) = await AlertNotices.CurrentAsync(sender, "month", null, cancellationToken);
        var raised = 0;
        if (notices.Count > 0)
        {
            raised = await writer.ExecuteAsync((c, t) =>
            {
                var now = Clock.Now();
                var count = 0;
                foreach (var n in notices)
                {
                    if (c.Execute(InsertAlertSql, new { n.Key, n.Kind, n.Subject, n.Period, n.Summary, now }, t) == 0) continue;
                    var eventId = WebhookOutbox.Raise(c, t, WebhookEvents.AlertRaised,
                        new AlertRaisedData(n.Kind, n.Subject, "month", n.Period, n.Summary, n.Details, n.Url, n.Alert));
                    c.Execute(SetAlertEventSql, new { eventId, key = n.Key }, t);
                    count++;
                }
                return count;
            }, cancellationToken);
        }

        var sentDigest = await DigestAsync(sender, cancellationToken);
        if (raised > 0 || sentDigest) delivery.Wake();
    }

    /// <summary>The digest of the last complete ISO week, once.</summary>
    private async Task<bool> DigestAsync(ISender sender, CancellationToken cancellationToken)
    {
        var today = Clock.TodayUtc();
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var weekStart = monday.AddDays(-7);
        var weekEnd = monday.AddDays(-1);
        var week = Statistics.PeriodLabel(weekStart, Granularity.Week);
        List<DigestAlert> alerts;
        await using (var c = await db.OpenAsync(cancellationToken))
        {
            if (await c.ExecuteScalarAsync<long>(DigestExistsSql, new { week }) > 0) return false;
            alerts = (await c.QueryAsync<DigestAlert>(new CommandDefinition(WeekAlertsSql,
                new { from = weekStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to = monday.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
                cancellationToken: cancellationToken))).ToList();
        }
        var weekly = await AlertNotices.CurrentAsync(sender, "week", weekEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), cancellationToken);
        var moves = weekly.Notices.Take(5).Select(n => new DigestMove(n.Kind, n.Subject, n.Summary)).ToList();
        moves.AddRange(await WinRateMovesAsync(sender, weekStart, weekEnd, moves.Select(m => m.Subject).ToHashSet(), cancellationToken));
        var summary = $"WinLoss week {week}: {Count(alerts.Count, "alert")}, {Count(moves.Count, "week-on-week move")}.";
        var lines = alerts.Select(a => "• " + a.Summary).Concat(moves.Select(m => "• " + m.Summary)).ToList();
        var details = lines.Count == 0 ? "Nothing changed significantly this week." : string.Join("\n", lines);
        var data = new DigestWeeklyData(week, weekStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), weekEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            alerts, moves, summary, details, $"/app/trends?granularity=week&to={weekEnd:yyyy-MM-dd}");
        return await writer.ExecuteAsync((c, t) =>
        {
            if (c.ExecuteScalar<long>(DigestExistsSql, new { week }, t) > 0) return false;
            var eventId = WebhookOutbox.Raise(c, t, WebhookEvents.DigestWeekly, data);
            c.Execute(InsertDigestSql, new { week, now = Clock.Now(), eventId }, t);
            return eventId is not null;
        }, cancellationToken);
    }

    /// <summary>
    /// The three competitors whose win rate moved most between the week before and this week (at least 10 decided deals in
    /// each), shown with their n; marked "not an alert" unless they are alerts too.
    /// </summary>
    private static async Task<List<DigestMove>> WinRateMovesAsync(ISender sender, DateOnly weekStart, DateOnly weekEnd, HashSet<string> alerted, CancellationToken cancellationToken)
    {
        const int minDecided = 10;
        var trend = await sender.Send(new GetCompetitorTrend(new TrendParameters
        {
            Granularity = "week",
            From = weekStart.AddDays(-7).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            To = weekEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        }, null), cancellationToken);
        var thisWeek = Statistics.PeriodLabel(weekStart, Granularity.Week);
        var lastWeek = Statistics.PeriodLabel(weekStart.AddDays(-7), Granularity.Week);
        return trend.Rows.Where(r => r.Competitor is not null && r.Period == thisWeek && r.WinRate.N >= minDecided)
            .Select(now => (Now: now, Before: trend.Rows.FirstOrDefault(b => b.Period == lastWeek && b.Competitor == now.Competitor)))
            .Where(x => x.Before is { } b && b.WinRate.N >= minDecided)
            .Select(x => (x.Now, Before: x.Before!, Delta: x.Now.WinRate.Value!.Value - x.Before!.WinRate.Value!.Value))
            .OrderByDescending(x => Math.Abs(x.Delta)).ThenBy(x => x.Now.Competitor!.Name, StringComparer.Ordinal)
            .Take(3)
            .Select(x => new DigestMove("win_rate", x.Now.Competitor!.Name, string.Create(CultureInfo.InvariantCulture,
                $"Win rate against {x.Now.Competitor!.Name}: {x.Before.WinRate.Value * 100:0.#}% (n = {x.Before.WinRate.N}) → {x.Now.WinRate.Value * 100:0.#}% (n = {x.Now.WinRate.N}){(alerted.Contains(x.Now.Competitor!.Name) ? "." : " (not an alert).")}")))
            .ToList();
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
