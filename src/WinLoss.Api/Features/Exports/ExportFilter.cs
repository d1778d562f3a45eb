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
        RuleFor(x => x.From).Must(v => v is null || ReportRules.TryParseDate(v, out _)).WithMessage("from must be a date YYYY-MM-DD.").OverridePropertyName("from");
        RuleFor(x => x.To).Must(v => v is null || ReportRules.TryParseDate(v, out _)).WithMessage("to must be a date YYYY-MM-DD.").OverridePropertyName("to");
        RuleFor(x => x).Must(x => string.CompareOrdinal(x.From, x.To) <= 0)
            .When(x => ReportRules.TryParseDate(x.From, out _) && ReportRules.TryParseDate(x.To, out _))
            .WithMessage("to must not be before from.").OverridePropertyName("to");
        RuleFor(x => x.Segment).Must(v => v is null || ReportRules.Segments.Contains(v)).WithMessage("segment must be one of: smb, mid_market, enterprise.").OverridePropertyName("segment");
        RuleFor(x => x.Stage).Must(v => v is null || ReportRules.Stages.Contains(v))
            .WithMessage("stage must be one of: qualification, discovery, demo, proposal, negotiation, closing.").OverridePropertyName("stage");
        RuleFor(x => x.Outcome).Must(v => v is null || ReportRules.Outcomes.Contains(v)).WithMessage("outcome must be one of: won, lost, no_decision.").OverridePropertyName("outcome");
        RuleFor(x => x.Region).Must(Short).WithMessage("region must be at most 100 characters.").OverridePropertyName("region");
        RuleFor(x => x.Product).Must(Short).WithMessage("product must be at most 100 characters.").OverridePropertyName("product");
        RuleFor(x => x.Industry).Must(Short).WithMessage("industry must be at most 100 characters.").OverridePropertyName("industry");
        RuleFor(x => x.Competitor).Must(v => v is null || (v.Trim().Length is > 0 and <= 100 && CompetitorNames.Normalize(v).Length > 0))
            .WithMessage("competitor must be a competitor id or a name (1 to 100 characters).").OverridePropertyName("competitor");
    }

    private static bool Short(string? v) => v is null || v.Trim().Length <= 100;
}
