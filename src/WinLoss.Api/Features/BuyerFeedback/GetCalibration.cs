using System.Globalization;
using System.Text;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// GET /api/v1/trends/calibration: rep vs buyer on the deals that have both a rep report and buyer feedback
/// (per-reason shares with McNemar's test, primary-reason agreement with Cohen's kappa, agreement per rep and team),
/// and the rep-reported primary-reason shares of all deals corrected by that agreement. Filters as for trends (on the
/// rep report): from, to (closedOn), segment, region, product, industry, stage; outcome (lost by default); minSample.
/// A deal with several buyer feedbacks counts its latest (by interviewedOn, then id).
/// </summary>
public sealed record GetCalibration(
    string? From, string? To, string? Segment, string? Region, string? Product, string? Industry, string? Stage, string? Outcome, string? MinSample,
    string? Format = null)
    : IQuery<CalibrationDto>
{
    public string OutcomeOrDefault => Outcome ?? "lost";
    public int MinSampleOrDefault => MinSample is null ? 20 : int.Parse(MinSample, CultureInfo.InvariantCulture);
}

public sealed class GetCalibrationValidator : AbstractValidator<GetCalibration>
{
    public GetCalibrationValidator()
    {
        RuleFor(x => x.From).Must(v => v is null || ReportRules.TryParseDate(v, out _)).WithMessage("from must be a date YYYY-MM-DD.").OverridePropertyName("from");
        RuleFor(x => x.To).Must(v => v is null || ReportRules.TryParseDate(v, out _)).WithMessage("to must be a date YYYY-MM-DD.").OverridePropertyName("to");
        RuleFor(x => x).Must(x => string.CompareOrdinal(x.From, x.To) <= 0)
            .When(x => ReportRules.TryParseDate(x.From, out _) && ReportRules.TryParseDate(x.To, out _))
            .WithMessage("to must not be before from.").OverridePropertyName("to");
        RuleFor(x => x.Segment).Must(v => v is null || ReportRules.Segments.Contains(v)).WithMessage("segment must be one of: smb, mid_market, enterprise.").OverridePropertyName("segment");
        RuleFor(x => x.Stage).Must(v => v is null || ReportRules.Stages.Contains(v))
            .WithMessage("stage must be one of: qualification, discovery, demo, proposal, negotiation, closing.").OverridePropertyName("stage");
        RuleFor(x => x.Outcome).Must(v => v is null || ReportRules.Outcomes.Contains(v)).WithMessage("outcome must be one of: lost, no_decision, won.").OverridePropertyName("outcome");
        RuleFor(x => x.Region).Must(Text).WithMessage("region must be 1 to 100 characters of text.").OverridePropertyName("region");
        RuleFor(x => x.Product).Must(Text).WithMessage("product must be 1 to 100 characters of text.").OverridePropertyName("product");
        RuleFor(x => x.Industry).Must(Text).WithMessage("industry must be 1 to 100 characters of text.").OverridePropertyName("industry");
        RuleFor(x => x.MinSample).Must(v => v is null || (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 1_000_000))
            .WithMessage("minSample must be an integer from 1 to 1000000.").OverridePropertyName("minSample");
        RuleFor(x => x.Format).Must(v => v is null or "json" or "csv").WithMessage("format must be json or csv.").OverridePropertyName("format");
    }

    private static bool Text(string? v) => v is null || (!string.IsNullOrWhiteSpace(v) && v.Trim().Length <= 100 && ReportRules.IsSingleLine(v));
}

public sealed class GetCalibrationHandler(Db db) : IQueryHandler<GetCalibration, CalibrationDto>
{
    // The rep's primary reason: the one marked primary, else the first listed.
    private const string CountsSql =
        """
        SELECT p.category AS Category, COUNT(*) AS Deals
        FROM reports r
        JOIN report_reasons p ON p.report_id = r.id
         AND p.position = (SELECT position FROM report_reasons WHERE report_id = r.id ORDER BY is_primary DESC, position LIMIT 1)
        WHERE {0}
        GROUP BY p.category
        """;
    private const string DealsSql = "SELECT COUNT(*) FROM reports r WHERE {0}";
    private const string PairedSql =
        """
        SELECT r.deal_id AS DealId, r.rep_id AS RepId,
               (SELECT group_concat(category, ',') FROM (SELECT category FROM report_reasons WHERE report_id = r.id ORDER BY is_primary DESC, position)) AS RepReasons,
               (SELECT group_concat(category, ',') FROM (SELECT category FROM buyer_feedback_reasons WHERE feedback_id = f.id ORDER BY rank)) AS BuyerReasons
        FROM reports r
        JOIN buyer_feedback f ON f.id = (SELECT id FROM buyer_feedback WHERE deal_id = r.deal_id AND deleted_at IS NULL ORDER BY interviewed_on DESC, id DESC LIMIT 1)
        WHERE {0}
        ORDER BY r.id
        """;
    private const string RepsSql = "SELECT id AS Id, display_name AS Name, team AS Team FROM users WHERE id IN @ids";

    public async ValueTask<CalibrationDto> Handle(GetCalibration query, CancellationToken cancellationToken)
    {
        var p = new DynamicParameters();
        var where = Where(query, p);
        await using var connection = await db.OpenAsync(cancellationToken);
        var deals = await connection.ExecuteScalarAsync<long>(new CommandDefinition(string.Format(CultureInfo.InvariantCulture, DealsSql, where), p, cancellationToken: cancellationToken));
        var counts = (await connection.QueryAsync<(string Category, long Deals)>(new CommandDefinition(string.Format(CultureInfo.InvariantCulture, CountsSql, where), p, cancellationToken: cancellationToken)))
            .ToDictionary(x => x.Category, x => x.Deals, StringComparer.Ordinal);
        var paired = (await connection.QueryAsync<(string DealId, long RepId, string? RepReasons, string? BuyerReasons)>(
                new CommandDefinition(string.Format(CultureInfo.InvariantCulture, PairedSql, where), p, cancellationToken: cancellationToken)))
            .Where(x => !string.IsNullOrEmpty(x.RepReasons) && !string.IsNullOrEmpty(x.BuyerReasons))
            .Select(x => new PairedDeal(x.DealId, x.RepId, x.RepReasons!.Split(','), x.BuyerReasons!.Split(',')))
            .ToList();
        var ids = paired.Select(x => x.RepId).Distinct().ToList();
        var reps = (await connection.QueryAsync<RepInfo>(new CommandDefinition(RepsSql, new { ids }, cancellationToken: cancellationToken))).ToDictionary(r => r.Id);
        return CalibrationReport.Build(query.OutcomeOrDefault, query.MinSampleOrDefault, deals, counts, paired, reps);
    }

    private static string Where(GetCalibration q, DynamicParameters p)
    {
        var where = new StringBuilder("r.deleted_at IS NULL AND r.outcome = @outcome");
        p.Add("outcome", q.OutcomeOrDefault);
        if (q.From is not null) { where.Append(" AND r.closed_on >= @from"); p.Add("from", q.From); }
        if (q.To is not null) { where.Append(" AND r.closed_on <= @to"); p.Add("to", q.To); }
        if (q.Segment is not null) { where.Append(" AND r.segment = @segment"); p.Add("segment", q.Segment); }
        if (q.Stage is not null) { where.Append(" AND r.stage_reached = @stage"); p.Add("stage", q.Stage); }
        if (q.Region is not null) { where.Append(" AND r.region = @region COLLATE NOCASE"); p.Add("region", q.Region.Trim()); }
        if (q.Product is not null) { where.Append(" AND r.product = @product COLLATE NOCASE"); p.Add("product", q.Product.Trim()); }
        if (q.Industry is not null) { where.Append(" AND r.industry = @industry COLLATE NOCASE"); p.Add("industry", q.Industry.Trim()); }
        return where.ToString();
    }

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/trends/calibration", Endpoint)
            .WithTags("Trends")
            .WithName("GetCalibration")
            .WithSummary("Rep vs buyer: how far reps' reasons are from buyers', and rep-reported shares corrected for it")
            .WithDescription(
                "Over deals with both a rep report and buyer feedback: per reason, rep and buyer shares (Wilson 95%) and McNemar's paired test " +
                "(exact binomial below 25 discordant deals); the primary-reason confusion matrix with Cohen's kappa (95% interval); agreement per rep " +
                "and team (lowSample below minSample). Then the rep-reported primary-reason shares of all deals, calibrated by the paired deals' " +
                "confusion matrix, with a bootstrap 95% interval and a statement of how many paired deals it rests on.")
            .RequireAuthorization(Policies.ReadCalibration)
            .Produces<CalibrationDto>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status200OK, typeof(string), "text/csv")
            .ProducesValidationProblem();

    /// <summary>format=csv: one row per reason, the calibrated shares of all deals beside the paired-deal comparison.</summary>
    public static readonly string[] CsvColumns =
    [
        "category", "repDeals", "repShare", "repShareLow", "repShareHigh", "calibratedShare", "calibratedLow", "calibratedHigh", "calibrated",
        "pairedDeals", "pairedRepShare", "pairedBuyerShare", "repOnly", "buyerOnly", "test", "pValue",
    ];

    private static async Task<IResult> Endpoint(
        string? from, string? to, string? segment, string? region, string? product, string? industry, string? stage, string? outcome, string? minSample,
        string? format, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetCalibration(from, to, segment, region, product, industry, stage, outcome, minSample, format), cancellationToken);
        if (format != "csv") return TypedResults.Ok(result);
        var response = http.Response;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"calibration-{result.Outcome}.csv\"";
        var calibrated = result.Calibrated.Rows.ToDictionary(r => r.Category, StringComparer.Ordinal);
        var paired = result.Reasons.ToDictionary(r => r.Category, StringComparer.Ordinal);
        await using (var csv = new Infrastructure.Csv.CsvWriter(response.Body))
        {
            csv.Header(CsvColumns);
            foreach (var category in calibrated.Keys.Concat(paired.Keys.Where(k => !calibrated.ContainsKey(k))))
            {
                var c = calibrated.GetValueOrDefault(category);
                var p = paired.GetValueOrDefault(category);
                csv.Text(category).Number(c?.RepDeals ?? 0).Number(c?.RepShare ?? 0).Number(c?.RepCi95[0]).Number(c?.RepCi95[1])
                    .Number(c?.CalibratedShare).Number(c?.Ci95?[0]).Number(c?.Ci95?[1]).Bool(c?.Calibrated)
                    .Number(result.PairedDeals).Number(p?.RepShare).Number(p?.BuyerShare).Number(p?.RepOnly).Number(p?.BuyerOnly).Text(p?.Test).Number(p?.PValue);
                await csv.EndRowAsync(cancellationToken);
            }
            await csv.FlushAsync(cancellationToken);
        }
        return Results.Empty;
    }
}
