using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Reports;

/// <summary>Reports newest first, filtered, with an opaque cursor. Deleted reports are not listed. Reps see only their own.</summary>
public sealed record ListReports(
    string? From, string? To, string? Outcome, string? Competitor, string? Segment, string? Region,
    long? RepId, int? Limit, string? Cursor, Caller Caller) : IQuery<ReportPage>;

public sealed record ReportPage(IReadOnlyList<ReportSummary> Items, string? NextCursor);

public sealed record ReportSummary
{
    public long Id { get; init; }
    public string DealId { get; init; } = "";
    public string Outcome { get; init; } = "";
    public string ClosedOn { get; init; } = "";
    public decimal? Amount { get; init; }
    public string? Currency { get; init; }
    public string? Segment { get; init; }
    public string? StageReached { get; init; }
    public string? Region { get; init; }
    public string? AccountName { get; init; }
    public IReadOnlyList<string> Competitors { get; init; } = [];
    public long RepId { get; init; }
    public int Version { get; init; }
    public string CreatedAt { get; init; } = "";
}

public sealed class ListReportsValidator : AbstractValidator<ListReports>
{
    public ListReportsValidator()
    {
        RuleFor(x => x).Custom((q, context) => ReportFilterRules.Check(
            new ReportFilterValues(q.From, q.To, q.Segment, q.Region, Outcome: q.Outcome), context.AddFailure));
        RuleFor(x => x.Limit).InclusiveBetween(1, 500).WithMessage("limit must be from 1 to 500.").OverridePropertyName("limit");
        RuleFor(x => x.Cursor).Must(v => v is null || OpaqueCursor.Decode(v, ListReportsHandler.CursorTag) is not null).WithMessage("cursor is not valid; use nextCursor from the previous page.").OverridePropertyName("cursor");
    }
}

public sealed class ListReportsHandler(Db db) : IQueryHandler<ListReports, ReportPage>
{
    public async ValueTask<ReportPage> Handle(ListReports q, CancellationToken cancellationToken)
    {
        var limit = q.Limit ?? 50;
        var where = new StringBuilder("r.deleted_at IS NULL");
        var p = new DynamicParameters();
        if (q.From is not null) { where.Append(" AND r.closed_on >= @from"); p.Add("from", q.From); }
        if (q.To is not null) { where.Append(" AND r.closed_on <= @to"); p.Add("to", q.To); }
        if (q.Outcome is not null) { where.Append(" AND r.outcome = @outcome"); p.Add("outcome", q.Outcome); }
        if (q.Segment is not null) { where.Append(" AND r.segment = @segment"); p.Add("segment", q.Segment); }
        if (q.Region is not null) { where.Append(" AND r.region = @region COLLATE NOCASE"); p.Add("region", q.Region.Trim()); }
        var repId = q.Caller.IsRep ? q.Caller.UserId : q.RepId;
        if (repId is not null) { where.Append(" AND r.rep_id = @repId"); p.Add("repId", repId); }
        if (q.Competitor is not null)
        {
            if (long.TryParse(q.Competitor, NumberStyles.None, CultureInfo.InvariantCulture, out var competitorId))
            {
                where.Append(" AND EXISTS (SELECT 1 FROM report_competitors rc WHERE rc.report_id = r.id AND rc.competitor_id = @competitorId)");
                p.Add("competitorId", competitorId);
            }
            else
            {
                where.Append(
                    """
                     AND EXISTS (SELECT 1 FROM report_competitors rc WHERE rc.report_id = r.id AND (rc.normalized = @norm
                         OR rc.competitor_id = (SELECT competitor_id FROM competitor_aliases WHERE normalized = @norm)))
                    """);
                p.Add("norm", CompetitorNames.Normalize(q.Competitor));
            }
        }
        if (q.Cursor is not null) { where.Append(" AND r.id < @cursor"); p.Add("cursor", OpaqueCursor.Decode(q.Cursor, CursorTag)); }
        p.Add("take", limit + 1);

        var sql = $"""
            SELECT r.id AS Id, r.deal_id AS DealId, r.outcome AS Outcome, r.closed_on AS ClosedOn, r.amount_cents AS AmountCents,
                   r.currency AS Currency, r.segment AS Segment, r.stage_reached AS StageReached, r.region AS Region,
                   r.account_name AS AccountName, r.rep_id AS RepId, r.version AS Version, r.created_at AS CreatedAt,
                   (SELECT json_group_array(name) FROM (SELECT name FROM report_competitors WHERE report_id = r.id ORDER BY position) AS ordered) AS CompetitorsJson
            FROM reports r
            WHERE {where}
            ORDER BY r.id DESC
            LIMIT @take
            """;
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition(sql, p, cancellationToken: cancellationToken))).ToList();
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        var items = rows.Select(r => new ReportSummary
        {
            Id = r.Id, DealId = r.DealId, Outcome = r.Outcome, ClosedOn = r.ClosedOn,
            Amount = r.AmountCents is null ? null : r.AmountCents / 100m, Currency = r.Currency, Segment = r.Segment,
            StageReached = r.StageReached, Region = r.Region, AccountName = r.AccountName,
            Competitors = JsonSerializer.Deserialize<List<string>>(r.CompetitorsJson ?? "[]") ?? [],
            RepId = r.RepId, Version = (int)r.Version, CreatedAt = r.CreatedAt,
        }).ToList();
        return new ReportPage(items, more ? OpaqueCursor.Encode(CursorTag, items[^1].Id) : null);
    }

    public const string CursorTag = "r";

    private sealed class Row
    {
        public long Id { get; init; }
        public string DealId { get; init; } = "";
        public string Outcome { get; init; } = "";
        public string ClosedOn { get; init; } = "";
        public long? AmountCents { get; init; }
        public string? Currency { get; init; }
        public string? Segment { get; init; }
        public string? StageReached { get; init; }
        public string? Region { get; init; }
        public string? AccountName { get; init; }
        public long RepId { get; init; }
        public long Version { get; init; }
        public string CreatedAt { get; init; } = "";
        public string? CompetitorsJson { get; init; }
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/", Endpoint)
            .WithName("ListReports")
            .WithSummary("List reports, newest first, with filters and cursor pagination")
            .RequireAuthorization(Policies.ReadReports)
            .ProducesValidationProblem();

    private static async Task<Ok<ReportPage>> Endpoint(
        string? from, string? to, string? outcome, string? competitor, string? segment, string? region,
        string? repId, string? limit, string? cursor, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var rep = QueryInt.Long(repId, "repId");
        var take = QueryInt.Int(limit, "limit");
        return TypedResults.Ok(await sender.Send(new ListReports(from, to, outcome, competitor, segment, region, rep, take, cursor, Caller.From(http.User)), cancellationToken));
    }
}
