using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.AuditLog;

/// <summary>
/// The audit log, newest first. <c>from</c>/<c>to</c> are dates (YYYY-MM-DD, whole UTC days, inclusive) or
/// ISO-8601 instants; <c>action</c> is exact (<c>key.issued</c>) or a prefix ending in a dot (<c>key.</c>);
/// <c>userId</c> is who acted.
/// </summary>
public sealed record ListAuditEntries(string? From, string? To, string? Action, long? UserId, int? Limit, string? Cursor) : IQuery<AuditPage>;

public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);

public sealed record AuditEntry(long Id, string At, long? UserId, string? Role, string Action, string? Target, JsonElement? Details);

public sealed class ListAuditEntriesValidator : AbstractValidator<ListAuditEntries>
{
    public ListAuditEntriesValidator()
    {
        RuleFor(x => x.From).Must(v => v is null || AuditTime.Parse(v, endOfDay: false) is not null)
            .WithMessage("from must be a date YYYY-MM-DD or an ISO-8601 time like 2026-11-20T09:30:00Z.").OverridePropertyName("from");
        RuleFor(x => x.To).Must(v => v is null || AuditTime.Parse(v, endOfDay: true) is not null)
            .WithMessage("to must be a date YYYY-MM-DD or an ISO-8601 time like 2026-11-20T09:30:00Z.").OverridePropertyName("to");
        RuleFor(x => x.Action).Must(v => v is null || (v.Length is > 0 and <= 64 && v.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-')))
            .WithMessage("action must be an action name like key.issued, or a prefix like key.").OverridePropertyName("action");
        RuleFor(x => x.Limit).InclusiveBetween(1, 500).WithMessage("limit must be from 1 to 500.").OverridePropertyName("limit");
        RuleFor(x => x.Cursor).Must(v => v is null || OpaqueCursor.Decode(v, "a") is not null)
            .WithMessage("cursor is not valid; use nextCursor from the previous page.").OverridePropertyName("cursor");
    }
}

public sealed class ListAuditEntriesHandler(Db db) : IQueryHandler<ListAuditEntries, AuditPage>
{
    public async ValueTask<AuditPage> Handle(ListAuditEntries q, CancellationToken cancellationToken)
    {
        var limit = q.Limit ?? 100;
        var where = new StringBuilder("1 = 1");
        var p = new DynamicParameters();
        if (q.From is not null) { where.Append(" AND at >= @from"); p.Add("from", AuditTime.Parse(q.From, endOfDay: false)); }
        if (q.To is not null) { where.Append(" AND at <= @to"); p.Add("to", AuditTime.Parse(q.To, endOfDay: true)); }
        if (q.Action is not null)
        {
            if (q.Action.EndsWith('.')) { where.Append(" AND substr(action, 1, length(@action)) = @action"); }
            else where.Append(" AND action = @action");
            p.Add("action", q.Action);
        }
        if (q.UserId is not null) { where.Append(" AND user_id = @userId"); p.Add("userId", q.UserId); }
        if (q.Cursor is not null) { where.Append(" AND id < @before"); p.Add("before", OpaqueCursor.Decode(q.Cursor, "a")); }
        p.Add("take", limit + 1);

        var sql = $"""
            SELECT id AS Id, at AS At, user_id AS UserId, role AS Role, action AS Action, target AS Target, details AS Details
            FROM audit_log
            WHERE {where}
            ORDER BY id DESC
            LIMIT @take
            """;
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(sql, p, cancellationToken: cancellationToken))).ToList();
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        var items = rows.Select(r => new AuditEntry(r.Id, r.At, r.UserId, r.Role, r.Action, r.Target,
            r.Details is null ? null : JsonDocument.Parse(r.Details).RootElement.Clone())).ToList();
        return new AuditPage(items, more ? OpaqueCursor.Encode("a", items[^1].Id) : null);
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public string At { get; init; } = "";
        public long? UserId { get; init; }
        public string? Role { get; init; }
        public string Action { get; init; } = "";
        public string? Target { get; init; }
        public string? Details { get; init; }
    }

    public static void Map(RouteGroupBuilder audit) =>
        audit.MapGet("", Endpoint)
            .WithName("ListAuditEntries")
            .WithSummary("The audit log, newest first: who did what, when (filters from, to, action, userId; cursor pagination)")
            .RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem();

    private static async Task<Ok<AuditPage>> Endpoint(
        string? from, string? to, string? action, string? userId, string? limit, string? cursor, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(
            new ListAuditEntries(from, to, action, QueryInt.Long(userId, "userId"), QueryInt.Int(limit, "limit"), cursor), cancellationToken));
}

/// <summary>Audit times are stored as "yyyy-MM-ddTHH:mm:ss.fffZ" (UTC), so bounds compare as text in that format.</summary>
public static class AuditTime
{
    public static string? Parse(string value, bool endOfDay)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + (endOfDay ? "T23:59:59.999Z" : "T00:00:00.000Z");
        if (value.Length >= 16 && value[10] is 'T' or 't'
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
            return Clock.Format(instant);
        return null;
    }
}
