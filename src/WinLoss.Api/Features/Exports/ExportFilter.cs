using System.Globalization;
using System.Text;
using Dapper;
using FluentValidation;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Features.Reports;

namespace WinLoss.Api.Features.Exports;

/// <summary>
/// The trend filters (docs/api-guide.md#trends) as they apply to exports: from/to on closedOn, segment,
/// region, product, industry, stage (stage reached), outcome, competitor (id or any name or alias).
/// Text filters match case-insensitively. Deleted reports are always excluded.
/// </summary>
public sealed record ExportFilter(
    string? From, string? To, string? Segment, string? Region, string? Product, string? Industry,
    string? Stage, string? Outcome, string? Competitor)
{
    /// <summary>The filters that were set, for the audit entry.</summary>
    public Dictionary<string, string> Applied()
    {
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, string? value) { if (value is not null) applied[name] = value; }
        Add("from", From); Add("to", To); Add("segment", Segment); Add("region", Region); Add("product", Product);
        Add("industry", Industry); Add("stage", Stage); Add("outcome", Outcome); Add("competitor", Competitor);
        return applied;
    }

    /// <summary>A WHERE clause over <c>reports r</c>, with its parameters.</summary>
    public string Where(DynamicParameters p)
    {
        var where = new StringBuilder("r.deleted_at IS NULL");
        if (From is not null) { where.Append(" AND r.closed_on >= @from"); p.Add("from", From); }
        if (To is not null) { where.Append(" AND r.closed_on <= @to"); p.Add("to", To); }
        if (Segment is not null) { where.Append(" AND r.segment = @segment"); p.Add("segment", Segment); }
        if (Region is not null) { where.Append(" AND r.region = @region COLLATE NOCASE"); p.Add("region", Region.Trim()); }
        if (Product is not null) { where.Append(" AND r.product = @product COLLATE NOCASE"); p.Add("product", Product.Trim()); }
        if (Industry is not null) { where.Append(" AND r.industry = @industry COLLATE NOCASE"); p.Add("industry", Industry.Trim()); }
        if (Stage is not null) { where.Append(" AND r.stage_reached = @stage"); p.Add("stage", Stage); }
        if (Outcome is not null) { where.Append(" AND r.outcome = @outcome"); p.Add("outcome", Outcome); }
        if (Competitor is not null)
        {
            if (long.TryParse(Competitor, NumberStyles.None, CultureInfo.InvariantCulture, out var competitorId))
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
                p.Add("norm", CompetitorNames.Normalize(Competitor));
            }
        }
        return where.ToString();
    }
}

/// <summary>Query-parameter rules shared by every export; errors name the query parameter.</summary>
public sealed class ExportFilterValidator : AbstractValidator<ExportFilter>
{
    public ExportFilterValidator()
    {
        RuleFor(x => x).Custom((f, context) => ReportFilterRules.Check(
            new ReportFilterValues(f.From, f.To, f.Segment, f.Region, f.Product, f.Industry, f.Stage, f.Outcome), context.AddFailure));
        RuleFor(x => x.Competitor).Must(v => v is null || (v.Trim().Length is > 0 and <= 100 && CompetitorNames.Normalize(v).Length > 0))
            .WithMessage("competitor must be a competitor id or a name (1 to 100 characters).").OverridePropertyName("competitor");
    }
}
