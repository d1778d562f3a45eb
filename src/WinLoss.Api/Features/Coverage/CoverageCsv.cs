using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Csv;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// GET /api/v1/trends/coverage?format=csv: one row per group × outcome (outcome "all" first), for spreadsheets and BI.
/// Columns: group, key, label, team, outcome, known, reported, coverage, ci_low, ci_high, low_sample,
/// median_days_to_report, win_coverage, loss_coverage, bias_z, bias_warning (the last four on the "all" row only).
/// Needs the export-trends permission (marketing, analyst, admin) and is written to the audit log like every export.
/// </summary>
public sealed class CoverageCsv(CoverageAnswer answer) : IResult
{
    public static void EnsureMayExport(Caller caller)
    {
        if (!Policies.Matrix[Policies.ExportTrends].Contains(caller.Role))
            throw new ForbiddenException("Exporting trends (format=csv) needs the marketing, analyst or admin role.");
    }

    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"coverage.csv\"";
        var csv = new CsvWriter(http.Response.Body);
        await using (csv)
        {
            csv.Header("group", "key", "label", "team", "outcome", "known", "reported", "coverage", "ci_low", "ci_high", "low_sample",
                "median_days_to_report", "win_coverage", "loss_coverage", "bias_z", "bias_warning");
            var groups = new[] { ("overall", (IReadOnlyList<CoverageGroup>)[answer.Overall]), ("period", answer.Periods), ("rep", answer.Reps),
                ("team", answer.Teams), ("segment", answer.Segments) };
            foreach (var (kind, list) in groups)
                foreach (var g in list)
                {
                    Row(csv, kind, g, "all", g.Coverage, g.MedianDaysToReport, g.Bias);
                    foreach (var (outcome, o) in g.Outcomes) Row(csv, kind, g, outcome, o.Coverage, o.MedianDaysToReport, null);
                }
        }
        var caller = Caller.From(http.User);
        var filters = http.Request.Query.Where(q => q.Key != "format").ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        await http.RequestServices.GetRequiredService<Writer>().ExecuteAsync((c, t) =>
            Audit.Record(c, t, caller, "export", http.Request.Path.Value, new { filters, format = "csv", rows = csv.DataRows, completed = true }),
            CancellationToken.None);
    }

    private static void Row(CsvWriter csv, string kind, CoverageGroup g, string outcome, CoverageRate rate, double? days, SelectionBias? bias) =>
        csv.Text(kind).Text(g.Key).Text(g.Label).Text(g.Team).Text(outcome).Number(rate.Known).Number(rate.Reported).Number(rate.Rate)
            .Number(rate.Ci95?[0]).Number(rate.Ci95?[1]).Bool(rate.LowSample).Number(days)
            .Number(bias?.WinCoverage).Number(bias?.LossCoverage).Number(bias?.Z).Bool(bias?.Warning).EndRow();
}
