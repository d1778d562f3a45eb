using System.Globalization;
using FluentValidation;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Coverage;

/// <summary>A closed deal as the CRM knows it (POST /api/v1/deals/closed, one item of the batch form). Unknown properties are 400.</summary>
public sealed record ClosedDealInput
{
    /// <summary>The CRM's opportunity id (1–64 characters); the same id a rep's report carries.</summary>
    public string? DealId { get; init; }
    /// <summary>won | lost | no_decision.</summary>
    public string? Outcome { get; init; }
    /// <summary>YYYY-MM-DD, from 2000-01-01 to tomorrow (UTC).</summary>
    public string? ClosedOn { get; init; }
    /// <summary>The rep who owns the deal: the email of a user with role rep, or a rep's display name when it is unique.</summary>
    public string? Rep { get; init; }
    public decimal? Amount { get; init; }
    /// <summary>ISO 4217, required with an amount.</summary>
    public string? Currency { get; init; }
    public string? Account { get; init; }
    /// <summary>The competitor the CRM recorded, if any (as written; not matched).</summary>
    public string? Competitor { get; init; }
    public string? Segment { get; init; }
    public string? Region { get; init; }
    public string? Product { get; init; }
}

/// <summary>A closed deal as stored and returned. <c>status</c>: <c>waiting</c> for its rep's report, or <c>reported</c> (then <c>reportId</c>).</summary>
public sealed record ClosedDealDto
{
    public long Id { get; init; }
    public required string DealId { get; init; }
    public required string Outcome { get; init; }
    public required string ClosedOn { get; init; }
    public long RepId { get; init; }
    public required string RepName { get; init; }
    public decimal? Amount { get; init; }
    public string? Currency { get; init; }
    public string? Account { get; init; }
    public string? Competitor { get; init; }
    public string? Segment { get; init; }
    public string? Region { get; init; }
    public string? Product { get; init; }
    /// <summary>crm_import | api.</summary>
    public required string Source { get; init; }
    public required string CreatedAt { get; init; }
    public required string UpdatedAt { get; init; }
    public required string Status { get; init; }
    public long? ReportId { get; init; }
}

public sealed class ClosedDealInputValidator : AbstractValidator<ClosedDealInput>
{
    public ClosedDealInputValidator()
    {
        RuleFor(x => x.DealId).Cascade(CascadeMode.Stop)
            .Must(DealIds.IsWellFormed).WithMessage("dealId must be valid Unicode text.")
            .Must(v => !string.IsNullOrWhiteSpace(v) && DealIds.Normalize(v).Length > 0).WithMessage("dealId is required.")
            .Must(v => DealIds.Normalize(v!).Length <= 64).WithMessage("dealId must be 1 to 64 characters.")
            .Must(ReportRules.IsSingleLine).WithMessage("dealId must not contain control characters.");
        RuleFor(x => x.Outcome).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("outcome is required.")
            .Must(v => ReportRules.Outcomes.Contains(v)).WithMessage("outcome must be one of: won, lost, no_decision.");
        RuleFor(x => x.ClosedOn).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("closedOn is required.")
            .Must(v => ReportRules.TryParseDate(v, out _)).WithMessage("closedOn must be a date in the form YYYY-MM-DD.")
            .Must(v =>
            {
                ReportRules.TryParseDate(v, out var d);
                return d >= ReportRules.EarliestClose && d <= Clock.TodayUtc().AddDays(1);
            }).WithMessage("closedOn must be between 2000-01-01 and tomorrow (UTC).");
        RuleFor(x => x.Rep).Cascade(CascadeMode.Stop)
            .Must(v => !string.IsNullOrWhiteSpace(v)).WithMessage("rep is required: the rep's email (or unique display name).")
            .Must(v => v!.Trim().Length <= 254 && ReportRules.IsSingleLine(v)).WithMessage("rep must be an email or name of at most 254 characters.");
        RuleFor(x => x.Amount)
            .InclusiveBetween(0m, 1_000_000_000_000m).WithMessage("amount must be between 0 and 10^12.")
            .Must(a => a is null || decimal.Round(a.Value, 2) == a.Value).WithMessage("amount may have at most 2 decimal places.");
        RuleFor(x => x.Currency).Cascade(CascadeMode.Stop)
            .NotNull().When(x => x.Amount is not null).WithMessage("currency is required with an amount (ISO 4217, e.g. USD).")
            .Must(c => c is null || ReportRules.Currencies.Contains(c)).WithMessage("currency must be an ISO 4217 code in upper case, e.g. USD.");
        RuleFor(x => x.Segment)
            .Must(v => v is null || ReportRules.Segments.Contains(v)).WithMessage("segment must be one of: smb, mid_market, enterprise.");
        foreach (var (field, get) in new (string, Func<ClosedDealInput, string?>)[]
                 { ("account", x => x.Account), ("competitor", x => x.Competitor), ("region", x => x.Region), ("product", x => x.Product) })
            RuleFor(x => get(x))
                .Must(v => v is null || (v.Trim().Length <= 100 && ReportRules.IsSingleLine(v)))
                .WithMessage($"{field} must be at most 100 characters on one line.")
                .OverridePropertyName(field);
    }
}

/// <summary>A validated closed deal in its stored form (normalised id, cents, trimmed text).</summary>
public sealed record ClosedDealRow(
    string DealId, string Outcome, string ClosedOn, long? AmountCents, string? Currency, string? Account,
    string? Competitor, string? Segment, string? Region, string? Product)
{
    public static ClosedDealRow From(ClosedDealInput input) => new(
        DealIds.Normalize(input.DealId!), input.Outcome!, input.ClosedOn!,
        input.Amount is null ? null : (long)decimal.Round(input.Amount.Value * 100m), input.Currency,
        ReportRules.Clean(input.Account), ReportRules.Clean(input.Competitor), input.Segment,
        ReportRules.Clean(input.Region), ReportRules.Clean(input.Product));

    /// <summary>What a CRM history import knows about a deal it imported (the report body it mapped the row to).</summary>
    public static ClosedDealRow From(ReportInput input) => new(
        DealIds.Normalize(input.DealId!), input.Outcome!, input.ClosedOn!,
        input.Amount is null ? null : (long)decimal.Round(input.Amount.Value * 100m), input.Amount is null ? null : input.Currency,
        ReportRules.Clean(input.AccountName),
        input.Competitors?.FirstOrDefault(c => c?.Primary == true)?.Name?.Trim() ?? input.Competitors?.FirstOrDefault()?.Name?.Trim(),
        input.Segment, ReportRules.Clean(input.Region), ReportRules.Clean(input.Product));

    public static decimal? Money(long? cents) => cents is null ? null : cents.Value / 100m;

    internal string Canonical(long repId) => string.Join('\u001f',
        DealId, Outcome, ClosedOn, AmountCents?.ToString(CultureInfo.InvariantCulture), Currency, Account, Competitor, Segment, Region, Product,
        repId.ToString(CultureInfo.InvariantCulture));
}
