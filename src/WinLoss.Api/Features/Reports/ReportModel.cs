using System.Globalization;
using System.Text;
using FluentValidation;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Features.Taxonomy;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Reports;

/// <summary>The body of POST and PUT /api/v1/reports (docs/api-guide.md#reports). Unknown properties are rejected.</summary>
public sealed record ReportInput
{
    public string? DealId { get; init; }
    public string? Outcome { get; init; }
    public string? ClosedOn { get; init; }
    public decimal? Amount { get; init; }
    public string? Currency { get; init; }
    public string? Segment { get; init; }
    public string? StageReached { get; init; }
    public string? Region { get; init; }
    public string? Industry { get; init; }
    public string? Product { get; init; }
    public string? AccountName { get; init; }
    public List<CompetitorInput?>? Competitors { get; init; }
    public List<ReasonInput?>? Reasons { get; init; }
    public List<ObjectionInput?>? Objections { get; init; }
    public List<MessageInput?>? Messages { get; init; }
    public string? LeadSource { get; init; }
    public int? LeadQuality { get; init; }
    public List<string?>? CollateralUsed { get; init; }
    public string? Notes { get; init; }
    public long? RepId { get; init; }
}

public sealed record CompetitorInput
{
    public string? Name { get; init; }
    public bool? Primary { get; init; }
}

public sealed record ReasonInput
{
    public string? Category { get; init; }
    public string? Detail { get; init; }
    public bool? Primary { get; init; }
}

public sealed record ObjectionInput
{
    public string? Category { get; init; }
    public string? Competitor { get; init; }
    public string? Text { get; init; }
    public bool? Overcome { get; init; }
}

public sealed record MessageInput
{
    public string? MessageId { get; init; }
    public string? Resonance { get; init; }
}

/// <summary>A stored report as the API returns it.</summary>
public sealed record ReportDto
{
    public long Id { get; init; }
    public required string DealId { get; init; }
    public required string Outcome { get; init; }
    public required string ClosedOn { get; init; }
    public decimal? Amount { get; init; }
    public string? Currency { get; init; }
    public string? Segment { get; init; }
    public string? StageReached { get; init; }
    public string? Region { get; init; }
    public string? Industry { get; init; }
    public string? Product { get; init; }
    public string? AccountName { get; init; }
    public required IReadOnlyList<ReportCompetitorDto> Competitors { get; init; }
    public required IReadOnlyList<ReportReasonDto> Reasons { get; init; }
    public required IReadOnlyList<ReportObjectionDto> Objections { get; init; }
    public required IReadOnlyList<ReportMessageDto> Messages { get; init; }
    public string? LeadSource { get; init; }
    public int? LeadQuality { get; init; }
    public required IReadOnlyList<string> CollateralUsed { get; init; }
    public string? Notes { get; init; }
    public long RepId { get; init; }
    public int Version { get; init; }
    public required string CreatedAt { get; init; }
    public required string UpdatedAt { get; init; }
    public long CreatedBy { get; init; }
    public string? DeletedAt { get; init; }
    public string? DeleteReason { get; init; }
}

public sealed record ReportCompetitorDto(string Name, long? CompetitorId, bool Matched, bool Primary);
public sealed record ReportReasonDto(string Category, string? Detail, bool Primary);
public sealed record ReportObjectionDto(string Category, string? Competitor, long? CompetitorId, string? Text, bool Overcome);
public sealed record ReportMessageDto(string MessageId, string Resonance);

public static class ReportRules
{
    public static readonly string[] Outcomes = ["won", "lost", "no_decision"];
    public static readonly string[] Segments = ["smb", "mid_market", "enterprise"];
    public static readonly string[] Stages = ["qualification", "discovery", "demo", "proposal", "negotiation", "closing"];
    public static readonly string[] Resonances = ["resonated", "neutral", "fell_flat"];
    public static readonly DateOnly EarliestClose = new(2000, 1, 1);

    /// <summary>ISO 4217 active currency codes.</summary>
    public static readonly HashSet<string> Currencies = new(
        """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
        CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
        HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
        MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
        RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
        USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
        """.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    public static bool TryParseDate(string? value, out DateOnly date) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>Free text may hold tabs and line breaks, but no other control characters.</summary>
    public static bool IsCleanText(string? value)
    {
        if (value is null) return true;
        foreach (var ch in value)
            if (char.IsControl(ch) && ch is not ('\n' or '\r' or '\t')) return false;
        return true;
    }

    public static bool IsSingleLine(string? value) => value is null || !value.Any(char.IsControl);

    /// <summary>
    /// The one form a dealId is stored and compared in: Unicode NFKC (full-width and compatibility forms folded),
    /// format characters removed (category Cf: zero-width space U+200B, BOM U+FEFF, bidi overrides U+202E, soft hyphen...),
    /// then trimmed. "OPP-x", "OPP-x\u200b", "\ufeffOPP-x" and "ＯＰＰ-x" are one deal. Applied wherever a dealId enters
    /// (filing, amending, importing), so one report per deal holds. Null stays null; invalid UTF-16 is left for the validator.
    /// </summary>
    public static string? NormalizeDealId(string? value)
    {
        if (value is null) return null;
        string text;
        try { text = value.IsNormalized(NormalizationForm.FormKC) ? value : value.Normalize(NormalizationForm.FormKC); }
        catch (ArgumentException) { return value.Trim(); } // lone surrogates: rejected by the validator
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text)
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.Format) sb.Append(ch);
        return sb.ToString().Trim();
    }

    public static string? Clean(string? value)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }
}

/// <summary>Field rules shared by filing (POST) and amending (PUT). Taxonomy membership comes from the in-memory cache.</summary>
public sealed class ReportInputValidator : AbstractValidator<ReportInput>
{
    /// <summary>Set in RootContextData when validating a CRM import row: CRM history has no reasons, so none are required.</summary>
    public const string CrmImportContextKey = "crm-import";

    /// <summary>
    /// Set in RootContextData when validating an amendment: a report may keep messages and collateral that marketing
    /// has deactivated since it was filed (they must still exist in the catalogue), so old reports stay correctable.
    /// </summary>
    public const string AmendmentContextKey = "amendment";

    public ReportInputValidator(TaxonomyCache taxonomy)
    {
        RuleFor(x => x.DealId).Cascade(CascadeMode.Stop)
            .Must(v => !string.IsNullOrWhiteSpace(v)).WithMessage("dealId is required.")
            .Must(v => v!.Trim().Length <= 64).WithMessage("dealId must be 1 to 64 characters.")
            .Must(ReportRules.IsSingleLine).WithMessage("dealId must not contain control characters.")
            .Must(v => !HasLoneSurrogate(v!)).WithMessage("dealId must be valid Unicode text.");
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
        RuleFor(x => x.Amount)
            .InclusiveBetween(0m, 1_000_000_000_000m).WithMessage("amount must be between 0 and 10^12.")
            .Must(a => a is null || decimal.Round(a.Value, 2) == a.Value).WithMessage("amount may have at most 2 decimal places.");
        RuleFor(x => x.Currency).Cascade(CascadeMode.Stop)
            .NotNull().When(x => x.Amount is not null).WithMessage("currency is required with an amount (ISO 4217, e.g. USD).")
            .Must(c => c is null || ReportRules.Currencies.Contains(c)).WithMessage("currency must be an ISO 4217 code in upper case, e.g. USD.");
        RuleFor(x => x.Segment)
            .Must(v => v is null || ReportRules.Segments.Contains(v)).WithMessage("segment must be one of: smb, mid_market, enterprise.");
        RuleFor(x => x.StageReached)
            .Must(v => v is null || ReportRules.Stages.Contains(v))
            .WithMessage("stageReached must be one of: qualification, discovery, demo, proposal, negotiation, closing.");
        RuleFor(x => x.Region).Must(v => Short(v, 100)).WithMessage("region must be at most 100 characters of text.");
        RuleFor(x => x.Industry).Must(v => Short(v, 100)).WithMessage("industry must be at most 100 characters of text.");
        RuleFor(x => x.Product).Must(v => Short(v, 100)).WithMessage("product must be at most 100 characters of text.");
        RuleFor(x => x.AccountName).Must(v => Short(v, 100)).WithMessage("accountName must be at most 100 characters of text.");
        RuleFor(x => x.LeadSource).Must(v => Short(v, 64)).WithMessage("leadSource must be at most 64 characters of text.");
        RuleFor(x => x.LeadQuality).InclusiveBetween(1, 5).WithMessage("leadQuality must be an integer from 1 to 5.");
        RuleFor(x => x.Notes)
            .Must(v => v is null || v.Trim().Length <= 4000).WithMessage("notes must be at most 4,000 characters.")
            .Must(ReportRules.IsCleanText).WithMessage("notes must not contain control characters other than tab and line breaks.");
        RuleFor(x => x.RepId).GreaterThan(0).WithMessage("repId must be a positive user id.");

        // Competitors
        RuleFor(x => x.Competitors).Must(l => l is null || l.Count <= 10).WithMessage("At most 10 competitors.");
        RuleFor(x => x.Competitors).Must(l => l is null || l.Count(c => c?.Primary == true) <= 1).WithMessage("At most one competitor may be primary.");
        RuleFor(x => x.Competitors).Custom((list, context) =>
        {
            if (list is null) return;
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is null) { context.AddFailure($"competitors[{i}]", "A competitor must be an object {name, primary?}."); continue; }
                var name = list[i]!.Name;
                if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100 || !ReportRules.IsSingleLine(name))
                {
                    context.AddFailure($"competitors[{i}].name", "name is required: 1 to 100 characters of text.");
                    continue;
                }
                var key = CompetitorNames.Normalize(name);
                if (key.Length == 0)
                    context.AddFailure($"competitors[{i}].name", "name must contain letters or digits.");
                else if (!seen.TryAdd(key, i))
                    context.AddFailure($"competitors[{i}].name", $"Same competitor as competitors[{seen[key]}].");
            }
        });

        // Reasons
        RuleFor(x => x.Reasons).Must(l => l is null || l.Count <= 10).WithMessage("At most 10 reasons.");
        RuleFor(x => x.Reasons)
            .Must(l => l is not null && l.Count > 0)
            .When((x, context) => x.Outcome is "lost" or "no_decision" && !context.RootContextData.ContainsKey(CrmImportContextKey))
            .WithMessage("At least one reason is required when the outcome is lost or no_decision.");
        RuleFor(x => x.Reasons).Must(l => l is null || l.Count(r => r?.Primary == true) <= 1).WithMessage("At most one reason may be primary.");
        RuleFor(x => x.Reasons).Custom((list, context) =>
        {
            if (list is null) return;
            var categories = taxonomy.Current.ReasonCategories;
            for (var i = 0; i < list.Count; i++)
            {
                var r = list[i];
                if (r is null) { context.AddFailure($"reasons[{i}]", "A reason must be an object {category, detail?, primary?}."); continue; }
                if (string.IsNullOrEmpty(r.Category)) context.AddFailure($"reasons[{i}].category", "category is required.");
                else if (!categories.Contains(r.Category)) context.AddFailure($"reasons[{i}].category", $"Unknown reason category '{Trunc(r.Category)}'. See GET /api/v1/taxonomy/reasons.");
                if (!Short(r.Detail, 500)) context.AddFailure($"reasons[{i}].detail", "detail must be at most 500 characters of text.");
            }
        });

        // Objections
        RuleFor(x => x.Objections).Must(l => l is null || l.Count <= 20).WithMessage("At most 20 objections.");
        RuleFor(x => x.Objections).Custom((list, context) =>
        {
            if (list is null) return;
            var categories = taxonomy.Current.ObjectionCategories;
            for (var i = 0; i < list.Count; i++)
            {
                var o = list[i];
                if (o is null) { context.AddFailure($"objections[{i}]", "An objection must be an object {category, competitor?, text?, overcome}."); continue; }
                if (string.IsNullOrEmpty(o.Category)) context.AddFailure($"objections[{i}].category", "category is required.");
                else if (!categories.Contains(o.Category)) context.AddFailure($"objections[{i}].category", $"Unknown objection category '{Trunc(o.Category)}'. See GET /api/v1/taxonomy/objections.");
                if (!Short(o.Competitor, 100) || !ReportRules.IsSingleLine(o.Competitor)) context.AddFailure($"objections[{i}].competitor", "competitor must be at most 100 characters of text.");
                if (o.Text is not null && (o.Text.Trim().Length > 500 || !ReportRules.IsCleanText(o.Text))) context.AddFailure($"objections[{i}].text", "text must be at most 500 characters of text.");
                if (o.Overcome is null) context.AddFailure($"objections[{i}].overcome", "overcome is required (true or false).");
            }
        });

        // Messages
        RuleFor(x => x.Messages).Must(l => l is null || l.Count <= 20).WithMessage("At most 20 messages.");
        RuleFor(x => x.Messages).Custom((list, context) =>
        {
            if (list is null) return;
            var amendment = context.RootContextData.ContainsKey(AmendmentContextKey);
            var active = amendment ? taxonomy.Current.AllMessages : taxonomy.Current.ActiveMessages;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                var m = list[i];
                if (m is null) { context.AddFailure($"messages[{i}]", "A message must be an object {messageId, resonance}."); continue; }
                if (string.IsNullOrEmpty(m.MessageId)) context.AddFailure($"messages[{i}].messageId", "messageId is required.");
                else if (!active.Contains(m.MessageId)) context.AddFailure($"messages[{i}].messageId", amendment
                    ? $"'{Trunc(m.MessageId)}' is not a catalogue message. See GET /api/v1/catalog/messages."
                    : $"'{Trunc(m.MessageId)}' is not an active catalogue message. See GET /api/v1/catalog/messages.");
                else if (!seen.Add(m.MessageId)) context.AddFailure($"messages[{i}].messageId", "The same message is listed twice.");
                if (m.Resonance is null || !ReportRules.Resonances.Contains(m.Resonance))
                    context.AddFailure($"messages[{i}].resonance", "resonance must be one of: resonated, neutral, fell_flat.");
            }
        });

        // Collateral
        RuleFor(x => x.CollateralUsed).Must(l => l is null || l.Count <= 20).WithMessage("At most 20 collateral items.");
        RuleFor(x => x.CollateralUsed).Custom((list, context) =>
        {
            if (list is null) return;
            var amendment = context.RootContextData.ContainsKey(AmendmentContextKey);
            var active = amendment ? taxonomy.Current.AllCollateral : taxonomy.Current.ActiveCollateral;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                var id = list[i];
                if (string.IsNullOrEmpty(id)) context.AddFailure($"collateralUsed[{i}]", "A collateral id is required.");
                else if (!active.Contains(id)) context.AddFailure($"collateralUsed[{i}]", amendment
                    ? $"'{Trunc(id)}' is not a catalogue collateral item. See GET /api/v1/catalog/collateral."
                    : $"'{Trunc(id)}' is not an active catalogue collateral item. See GET /api/v1/catalog/collateral.");
                else if (!seen.Add(id)) context.AddFailure($"collateralUsed[{i}]", "The same collateral is listed twice.");
            }
        });
    }

    private static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { i++; continue; }
            if (char.IsSurrogate(value[i])) return true;
        }
        return false;
    }

    private static bool Short(string? value, int max) =>
        value is null || (value.Trim().Length <= max && ReportRules.IsCleanText(value));

    private static string Trunc(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
