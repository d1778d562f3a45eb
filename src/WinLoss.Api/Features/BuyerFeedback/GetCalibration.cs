using System.Globalization;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Features.Trends;
using WinLoss.Api.Infrastructure.ReadSide;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// GET /api/v1/trends/calibration: rep vs buyer on the deals that have both a rep report and buyer feedback
/// (per-reason shares with McNemar's test, primary-reason agreement with Cohen's kappa, agreement per rep and team),
/// and the rep-reported primary-reason shares of all deals corrected by that agreement. The usual trend filters apply
/// to the rep report (from, to on closedOn, segment, region, product, industry, stage, minSample), plus outcome (lost by
/// default). A deal with several buyer feedbacks counts its latest (by interviewedOn, then id). Read from the read side.
/// </summary>
public sealed record GetCalibration(TrendParameters Parameters, string? Outcome) : IQuery<CalibrationDto>
{
    public string OutcomeOrDefault => Outcome ?? "lost";
}

public sealed class GetCalibrationValidator : AbstractValidator<GetCalibration>
{
    public GetCalibrationValidator() => RuleFor(x => x).Custom((q, context) =>
    {
        TrendParameters.Check(q.Parameters, (field, message) => context.AddFailure(field, message));
        if (q.Outcome is not null && !ReportRules.Outcomes.Contains(q.Outcome)) context.AddFailure("outcome", "outcome must be one of: lost, no_decision, won.");
    });
}

public sealed class GetCalibrationHandler(ReadStore read) : IQueryHandler<GetCalibration, CalibrationDto>
{
    // On the read side. The rep's primary reason: the one marked primary, else the first listed; the buyer's: rank 1.
    private const string DealsSql = "SELECT count(*) FROM reports WHERE {0} AND outcome = $outcome";
    private const string CountsSql =
        """
        WITH r AS (SELECT id FROM reports WHERE {0} AND outcome = $outcome),
        p AS (SELECT x.report_id, arg_min(x.category, (CASE WHEN x.is_primary THEN 0 ELSE 1000000 END) + x.position) AS category
              FROM report_reasons x JOIN r ON r.id = x.report_id GROUP BY x.report_id)
        SELECT category AS Category, count(*) AS Deals FROM p GROUP BY category
        """;
    private const string PairedSql =
        """
        WITH r AS (SELECT id, deal_id, rep_id FROM reports WHERE {0} AND outcome = $outcome),
        latest AS (
            SELECT id, deal_id FROM (
                SELECT f.id, f.deal_id, row_number() OVER (PARTITION BY f.deal_id ORDER BY f.interviewed_on DESC, f.id DESC) AS n
                FROM buyer_feedback f WHERE f.deal_id IN (SELECT deal_id FROM r)) WHERE n = 1),
        rep AS (SELECT x.report_id, string_agg(x.category, ',' ORDER BY (CASE WHEN x.is_primary THEN 0 ELSE 1 END), x.position) AS reasons
                FROM report_reasons x JOIN r ON r.id = x.report_id GROUP BY x.report_id),
        buyer AS (SELECT b.feedback_id, string_agg(b.category, ',' ORDER BY b.rank) AS reasons
                  FROM buyer_feedback_reasons b JOIN latest l ON l.id = b.feedback_id GROUP BY b.feedback_id)
        SELECT r.deal_id AS DealId, r.rep_id AS RepId, rep.reasons AS RepReasons, buyer.reasons AS BuyerReasons
        FROM r JOIN latest l ON l.deal_id = r.deal_id JOIN rep ON rep.report_id = r.id JOIN buyer ON buyer.feedback_id = l.id
        ORDER BY r.id
        """;
    private const string RepsSql = "SELECT id AS Id, display_name AS Name, team AS Team FROM users WHERE id IN (SELECT DISTINCT rep_id FROM reports WHERE {0} AND outcome = $outcome)";

    public async ValueTask<CalibrationDto> Handle(GetCalibration query, CancellationToken cancellationToken)
    {
        var f = query.Parameters.Parse();
        var p = new DynamicParameters();
        var where = TrendFactsQuery.Where(f, p);
        p.Add("outcome", query.OutcomeOrDefault);
        string Sql(string template) => string.Format(CultureInfo.InvariantCulture, template, where);

        await using var duck = await read.ConnectAsync(cancellationToken);
        var deals = duck.ExecuteScalar<long>(Sql(DealsSql), p);
        var counts = duck.Query<CountRow>(Sql(CountsSql), p).ToDictionary(x => x.Category, x => x.Deals, StringComparer.Ordinal);
        var paired = duck.Query<PairRow>(Sql(PairedSql), p)
            .Select(x => new PairedDeal(x.DealId, x.RepId, x.RepReasons.Split(','), x.BuyerReasons.Split(',')))
            .ToList();
        var reps = duck.Query<RepRow>(Sql(RepsSql), p).ToDictionary(r => r.Id, r => new RepInfo(r.Id, r.Name, r.Team));
        return CalibrationReport.Build(query.OutcomeOrDefault, f.MinSample, deals, counts, paired, reps);
    }

    private sealed class CountRow
    {
        public string Category { get; init; } = "";
        public long Deals { get; init; }
    }

    private sealed class PairRow
    {
        public string DealId { get; init; } = "";
        public long RepId { get; init; }
        public string RepReasons { get; init; } = "";
        public string BuyerReasons { get; init; } = "";
    }

    private sealed class RepRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string? Team { get; init; }
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

    private static async Task<IResult> Endpoint([AsParameters] TrendParameters parameters, string? outcome, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var result = await sender.Send(new GetCalibration(parameters, outcome), cancellationToken);
        if (!parameters.IsCsv) return TypedResults.Ok(result);
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
