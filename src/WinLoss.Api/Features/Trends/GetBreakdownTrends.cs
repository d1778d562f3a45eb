using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// Reason categories × by (competitor | segment | stage) for one outcome (lost by default): deals with the
/// reason, deals where it was primary, share = deals / deals of that outcome in the group (Wilson 95%).
/// Reports without a value for the grouping dimension are left out of segment and stage groups.
/// </summary>
public sealed record GetReasonTrend(TrendParameters Parameters, string? By, string? Outcome) : IQuery<ReasonTrend>;

public sealed record ReasonTrend(string By, string Outcome, string? From, string? To, int MinSample, IReadOnlyList<ReasonTrendRow> Rows);

public sealed record ReasonTrendRow(string? Group, TrendCompetitor? Competitor, string Category, long Deals, long Primary, TrendRate Share);

public sealed class GetReasonTrendValidator : AbstractValidator<GetReasonTrend>
{
    public GetReasonTrendValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.By is not null and not ("competitor" or "segment" or "stage")) context.AddFailure("by", "by must be one of: competitor, segment, stage.");
        if (q.Outcome is not null && !ReportRules.Outcomes.Contains(q.Outcome)) context.AddFailure("outcome", "outcome must be one of: won, lost, no_decision.");
    });
}

public sealed class GetReasonTrendHandler(Db db) : IQueryHandler<GetReasonTrend, ReasonTrend>
{
    private static readonly string[] CompetitorKinds = [Kinds.Reason, Kinds.Competitor];
    private static readonly string[] GroupKinds = [Kinds.Reason, Kinds.Deal];

    public async ValueTask<ReasonTrend> Handle(GetReasonTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        var by = query.By ?? "competitor";
        var outcome = query.Outcome ?? "lost";
        var outcomeColumn = outcome switch { "won" => 1, "lost" => 2, _ => 3 };
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = new List<ReasonTrendRow>();
        if (by == "competitor")
        {
            var data = await TrendReader.ReadAsync(c, f, CompetitorKinds, needsCompetitorDetail: true, cancellationToken);
            var totals = data.Of(Kinds.Competitor).Where(x => x.K3 == "a").GroupBy(x => x.K1).ToDictionary(g => g.Key, g => g.Sum(x => x.C[outcomeColumn]));
            var reasons = data.Of(Kinds.Reason).Where(x => x.K2 == outcome && x.K3 != CompetitorKey.Any).ToList();
            var names = await TrendFormat.CompetitorsAsync(c, reasons.Select(x => x.K3), cancellationToken);
            rows.AddRange(reasons.GroupBy(x => (x.K3, x.K1)).Select(g =>
            {
                var total = totals.GetValueOrDefault(g.Key.K3);
                return new ReasonTrendRow(null, names[g.Key.K3], g.Key.K1, g.Sum(x => x.C[0]), g.Sum(x => x.C[1]), TrendRate.Of(g.Sum(x => x.C[0]), total, f.MinSample));
            }));
        }
        else
        {
            foreach (var (value, filter) in Groups.Of(f, by))
            {
                var data = await TrendReader.ReadAsync(c, filter, GroupKinds, needsCompetitorDetail: false, cancellationToken);
                var total = data.Of(Kinds.Deal).Sum(x => x.C[outcomeColumn]);
                rows.AddRange(data.Of(Kinds.Reason).Where(x => x.K2 == outcome && x.K3 == CompetitorKey.Any).GroupBy(x => x.K1).Select(g =>
                    new ReasonTrendRow(value, null, g.Key, g.Sum(x => x.C[0]), g.Sum(x => x.C[1]), TrendRate.Of(g.Sum(x => x.C[0]), total, f.MinSample))));
            }
        }
        var ordered = rows.OrderBy(r => r.Group ?? r.Competitor?.Name ?? "", StringComparer.Ordinal).ThenByDescending(r => r.Deals).ThenBy(r => r.Category, StringComparer.Ordinal).ToList();
        return new ReasonTrend(by, outcome, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, ordered);
    }

    public static readonly string[] CsvColumns = ["group", "competitorId", "competitor", "category", "deals", "primary", "share", "shareN", "shareLow", "shareHigh", "shareLowSample"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/reasons", Endpoint)
            .WithName("GetReasonTrend")
            .WithSummary("Reason categories by competitor, segment or stage for one outcome (format=csv for a file)")
            .WithDescription("CSV columns: " + string.Join(",", CsvColumns))
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<ReasonTrend>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? by, string? outcome, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetReasonTrend(parameters, by, outcome), cancellationToken);
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        TrendFormat.EnsureMayExport(Caller.From(http.User));
        return TrendFormat.Csv("reason-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.Group).Number(r.Competitor?.Id).Text(r.Competitor?.Name).Text(r.Category).Number(r.Deals).Number(r.Primary)
                    .Number(r.Share.Value).Number(r.Share.N).Number(r.Share.Ci95?[0]).Number(r.Share.Ci95?[1]).Bool(r.Share.LowSample);
                await csv.EndRowAsync(ct);
            }
        });
    }
}

/// <summary>Groups of a breakdown by segment or stage: one filter per value.</summary>
public static class Groups
{
    public static IEnumerable<(string Value, TrendFilter Filter)> Of(TrendFilter f, string by) => by switch
    {
        "segment" => ReportRules.Segments.Where(v => f.Segment is null || f.Segment == v).Select(v => (v, f with { Segment = v })),
        _ => ReportRules.Stages.Where(v => f.Stage is null || f.Stage == v).Select(v => (v, f with { Stage = v })),
    };
}

/// <summary>
/// Catalogue message × by (segment | stage): uses, resonated, neutral, fell flat, resonance rate (resonated /
/// uses, Wilson 95%), win rate when used and when not used (won / (won + lost) of the group's deals), and
/// lift = win rate when used − win rate when not used (null when either has no won or lost deal).
/// </summary>
public sealed record GetMessageTrend(TrendParameters Parameters, string? By) : IQuery<MessageTrend>;

public sealed record MessageTrend(string By, string? From, string? To, int MinSample, IReadOnlyList<MessageTrendRow> Rows);

public sealed record MessageTrendRow(
    string MessageId, string Group, long Uses, long Resonated, long Neutral, long FellFlat,
    TrendRate ResonanceRate, TrendRate WinRateWhenUsed, TrendRate WinRateWhenNotUsed, double? Lift);

public sealed class GetMessageTrendValidator : AbstractValidator<GetMessageTrend>
{
    public GetMessageTrendValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.By is not null and not ("segment" or "stage")) context.AddFailure("by", "by must be one of: segment, stage.");
    });
}

public sealed class GetMessageTrendHandler(Db db) : IQueryHandler<GetMessageTrend, MessageTrend>
{
    private static readonly string[] FactKinds = [Kinds.Message, Kinds.Deal];

    public async ValueTask<MessageTrend> Handle(GetMessageTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        var by = query.By ?? "segment";
        await using var c = await db.OpenAsync(cancellationToken);
        var rows = new List<MessageTrendRow>();
        foreach (var (value, filter) in Groups.Of(f, by))
        {
            var data = await TrendReader.ReadAsync(c, filter, FactKinds, needsCompetitorDetail: false, cancellationToken);
            var deals = data.Of(Kinds.Deal).ToList();
            long won = deals.Sum(x => x.C[1]), lost = deals.Sum(x => x.C[2]);
            foreach (var g in data.Of(Kinds.Message).Where(x => x.K2 == CompetitorKey.Any).GroupBy(x => x.K1))
            {
                var list = g.ToList();
                long uses = list.Sum(x => x.C[0]), res = list.Sum(x => x.C[1]), neutral = list.Sum(x => x.C[2]), flat = list.Sum(x => x.C[3]);
                long usedWon = list.Where(x => x.K3 == "won").Sum(x => x.C[0]), usedLost = list.Where(x => x.K3 == "lost").Sum(x => x.C[0]);
                var whenUsed = TrendRate.Of(usedWon, usedWon + usedLost, f.MinSample);
                var whenNot = TrendRate.Of(won - usedWon, won - usedWon + lost - usedLost, f.MinSample);
                double? lift = whenUsed.Value is { } a && whenNot.Value is { } b ? TrendRate.Round(a - b) : null;
                rows.Add(new MessageTrendRow(g.Key, value, uses, res, neutral, flat, TrendRate.Of(res, uses, f.MinSample), whenUsed, whenNot, lift));
            }
        }
        return new MessageTrend(by, TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample,
            rows.OrderBy(r => r.MessageId, StringComparer.Ordinal).ThenBy(r => r.Group, StringComparer.Ordinal).ToList());
    }

    public static readonly string[] CsvColumns =
    [
        "messageId", "group", "uses", "resonated", "neutral", "fellFlat", "resonanceRate", "resonanceRateLow", "resonanceRateHigh", "resonanceLowSample",
        "winRateWhenUsed", "winRateWhenUsedN", "winRateWhenNotUsed", "winRateWhenNotUsedN", "lift",
    ];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/messages", Endpoint)
            .WithName("GetMessageTrend")
            .WithSummary("Message resonance and win-rate lift by segment or stage (format=csv for a file)")
            .WithDescription("CSV columns: " + string.Join(",", CsvColumns))
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<MessageTrend>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? by, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetMessageTrend(parameters, by), cancellationToken);
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        TrendFormat.EnsureMayExport(Caller.From(http.User));
        return TrendFormat.Csv("message-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.MessageId).Text(r.Group).Number(r.Uses).Number(r.Resonated).Number(r.Neutral).Number(r.FellFlat)
                    .Number(r.ResonanceRate.Value).Number(r.ResonanceRate.Ci95?[0]).Number(r.ResonanceRate.Ci95?[1]).Bool(r.ResonanceRate.LowSample)
                    .Number(r.WinRateWhenUsed.Value).Number(r.WinRateWhenUsed.N).Number(r.WinRateWhenNotUsed.Value).Number(r.WinRateWhenNotUsed.N).Number(r.Lift);
                await csv.EndRowAsync(ct);
            }
        });
    }
}

/// <summary>Lead source: deals, won, lost, no decision, win rate (Wilson 95%), average lead quality (1–5, rated deals only).</summary>
public sealed record GetLeadSourceTrend(TrendParameters Parameters) : IQuery<LeadSourceTrend>;

public sealed record LeadSourceTrend(string? From, string? To, int MinSample, IReadOnlyList<LeadSourceTrendRow> Rows);

public sealed record LeadSourceTrendRow(string? LeadSource, long Deals, long Won, long Lost, long NoDecision, TrendRate WinRate, double? AvgLeadQuality, long RatedDeals);

public sealed class GetLeadSourceTrendValidator : AbstractValidator<GetLeadSourceTrend>
{
    public GetLeadSourceTrendValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetLeadSourceTrendHandler(Db db) : IQueryHandler<GetLeadSourceTrend, LeadSourceTrend>
{
    private static readonly string[] FactKinds = [Kinds.Deal];

    public async ValueTask<LeadSourceTrend> Handle(GetLeadSourceTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        await using var c = await db.OpenAsync(cancellationToken);
        var data = await TrendReader.ReadAsync(c, f, FactKinds, needsCompetitorDetail: false, cancellationToken);
        var rows = data.Of(Kinds.Deal).GroupBy(x => x.K1).Select(g =>
        {
            var l = g.ToList();
            long deals = l.Sum(x => x.C[0]), won = l.Sum(x => x.C[1]), lost = l.Sum(x => x.C[2]), nd = l.Sum(x => x.C[3]);
            long qualitySum = l.Sum(x => x.C[7]), rated = l.Sum(x => x.C[8]);
            return new LeadSourceTrendRow(g.Key.Length == 0 ? null : g.Key, deals, won, lost, nd, TrendRate.Of(won, won + lost, f.MinSample),
                rated == 0 ? null : TrendRate.Round((double)qualitySum / rated), rated);
        }).OrderByDescending(r => r.Deals).ThenBy(r => r.LeadSource, StringComparer.Ordinal).ToList();
        return new LeadSourceTrend(TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, rows);
    }

    public static readonly string[] CsvColumns = ["leadSource", "deals", "won", "lost", "noDecision", "winRate", "winRateN", "winRateLow", "winRateHigh", "winRateLowSample", "avgLeadQuality", "ratedDeals"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/lead-sources", Endpoint)
            .WithName("GetLeadSourceTrend")
            .WithSummary("Win rate and lead quality by lead source (format=csv for a file)")
            .WithDescription("CSV columns: " + string.Join(",", CsvColumns))
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<LeadSourceTrend>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetLeadSourceTrend(parameters), cancellationToken);
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        TrendFormat.EnsureMayExport(Caller.From(http.User));
        return TrendFormat.Csv("lead-source-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.LeadSource).Number(r.Deals).Number(r.Won).Number(r.Lost).Number(r.NoDecision)
                    .Number(r.WinRate.Value).Number(r.WinRate.N).Number(r.WinRate.Ci95?[0]).Number(r.WinRate.Ci95?[1]).Bool(r.WinRate.LowSample)
                    .Number(r.AvgLeadQuality).Number(r.RatedDeals);
                await csv.EndRowAsync(ct);
            }
        });
    }
}

/// <summary>Catalogue collateral: uses (deals) and win rate when used; items never used are listed with uses 0.</summary>
public sealed record GetCollateralTrend(TrendParameters Parameters) : IQuery<CollateralTrend>;

public sealed record CollateralTrend(string? From, string? To, int MinSample, IReadOnlyList<CollateralTrendRow> Rows);

public sealed record CollateralTrendRow(string CollateralId, string Title, bool Active, long Uses, TrendRate WinRateWhenUsed);

public sealed class GetCollateralTrendValidator : AbstractValidator<GetCollateralTrend>
{
    public GetCollateralTrendValidator() => RuleFor(x => x).Custom((q, context) =>
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message)));
}

public sealed class GetCollateralTrendHandler(Db db) : IQueryHandler<GetCollateralTrend, CollateralTrend>
{
    private static readonly string[] FactKinds = [Kinds.Collateral];
    private const string CatalogSql = "SELECT id AS Id, title AS Title, active AS Active FROM catalog_collateral ORDER BY id";

    public async ValueTask<CollateralTrend> Handle(GetCollateralTrend query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse() with { Granularity = Granularity.Quarter };
        await using var c = await db.OpenAsync(cancellationToken);
        var data = await TrendReader.ReadAsync(c, f, FactKinds, needsCompetitorDetail: false, cancellationToken);
        var used = data.Of(Kinds.Collateral).GroupBy(x => x.K1).ToDictionary(g => g.Key, g => g.ToList());
        var catalog = await Dapper.SqlMapper.QueryAsync<(string Id, string Title, bool Active)>(c, new Dapper.CommandDefinition(CatalogSql, cancellationToken: cancellationToken));
        var rows = catalog.Select(item =>
        {
            var l = used.GetValueOrDefault(item.Id) ?? [];
            long uses = l.Sum(x => x.C[0]), won = l.Where(x => x.K2 == "won").Sum(x => x.C[0]), lost = l.Where(x => x.K2 == "lost").Sum(x => x.C[0]);
            return new CollateralTrendRow(item.Id, item.Title, item.Active, uses, TrendRate.Of(won, won + lost, f.MinSample));
        }).OrderByDescending(r => r.Uses).ThenBy(r => r.CollateralId, StringComparer.Ordinal).ToList();
        return new CollateralTrend(TrendFormat.Date(f.From), TrendFormat.Date(f.To), f.MinSample, rows);
    }

    public static readonly string[] CsvColumns = ["collateralId", "title", "active", "uses", "winRateWhenUsed", "winRateN", "winRateLow", "winRateHigh", "winRateLowSample"];

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/collateral", Endpoint)
            .WithName("GetCollateralTrend")
            .WithSummary("Collateral uses and win rate when used; unused items listed with uses 0 (format=csv for a file)")
            .WithDescription("CSV columns: " + string.Join(",", CsvColumns))
            .RequireAuthorization(Policies.ReadTrends)
            .Produces<CollateralTrend>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesValidationProblem();

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetCollateralTrend(parameters), cancellationToken);
        if (!parameters.IsCsv) return TypedResults.Ok(result);
        TrendFormat.EnsureMayExport(Caller.From(http.User));
        return TrendFormat.Csv("collateral-trend.csv", async (csv, ct) =>
        {
            csv.Header(CsvColumns);
            foreach (var r in result.Rows)
            {
                csv.Text(r.CollateralId).Text(r.Title).Bool(r.Active).Number(r.Uses)
                    .Number(r.WinRateWhenUsed.Value).Number(r.WinRateWhenUsed.N).Number(r.WinRateWhenUsed.Ci95?[0]).Number(r.WinRateWhenUsed.Ci95?[1]).Bool(r.WinRateWhenUsed.LowSample);
                await csv.EndRowAsync(ct);
            }
        });
    }
}
