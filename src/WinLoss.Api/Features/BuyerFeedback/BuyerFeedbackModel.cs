using Dapper;
using FluentValidation;
using System.Data.Common;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Features.Taxonomy;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>
/// Body of POST /api/v1/deals/{dealId}/buyer-feedback: one interview with someone on the buyer's side.
/// <c>reasons</c> are ranked (the first is the buyer's primary reason) and come from the same taxonomy as the
/// reps' reasons, so the two can be compared. Unknown properties are rejected.
/// </summary>
public sealed record BuyerFeedbackInput
{
    public string? IntervieweeRole { get; init; }
    public string? InterviewedOn { get; init; }
    public string? Outcome { get; init; }
    public List<BuyerReasonInput?>? Reasons { get; init; }
    public List<string?>? CompetitorsConsidered { get; init; }
    public string? CompetitorChosen { get; init; }
    public List<BuyerObjectionInput?>? Objections { get; init; }
    public List<string?>? Quotes { get; init; }
    public string? Notes { get; init; }
}

public sealed record BuyerReasonInput
{
    public string? Category { get; init; }
    public string? Detail { get; init; }
}

public sealed record BuyerObjectionInput
{
    public string? Category { get; init; }
    public string? Text { get; init; }
}

/// <summary>Stored buyer feedback as the API returns it. <c>reportId</c> is the deal's live rep report, if one is filed.</summary>
public sealed record BuyerFeedbackDto
{
    public long Id { get; init; }
    public required string DealId { get; init; }
    public required string Source { get; init; }
    public required string IntervieweeRole { get; init; }
    public required string InterviewedOn { get; init; }
    public required string Outcome { get; init; }
    public required IReadOnlyList<BuyerReasonDto> Reasons { get; init; }
    public required IReadOnlyList<BuyerCompetitorDto> CompetitorsConsidered { get; init; }
    public BuyerCompetitorDto? CompetitorChosen { get; init; }
    public required IReadOnlyList<BuyerObjectionDto> Objections { get; init; }
    public required IReadOnlyList<string> Quotes { get; init; }
    public string? Notes { get; init; }
    public long? ReportId { get; init; }
    public required string CreatedAt { get; init; }
    public long? CreatedBy { get; init; }
    public string? DeletedAt { get; init; }
    public string? DeleteReason { get; init; }
}

public sealed record BuyerReasonDto(int Rank, string Category, string? Detail);
public sealed record BuyerCompetitorDto(string Name, long? CompetitorId, bool Matched);
public sealed record BuyerObjectionDto(string Category, string? Text);

public static class BuyerFeedbackRules
{
    public static readonly string[] IntervieweeRoles =
        ["economic_buyer", "executive_sponsor", "champion", "technical_evaluator", "end_user", "procurement", "other"];

    public const int MaxReasons = 10;
    public const int MaxCompetitors = 10;
    public const int MaxObjections = 20;
    public const int MaxQuotes = 10;
    public const int MaxQuoteLength = 1000;
    public const int MaxNotesLength = 4000;

    /// <summary>A deal id as in a report: 1 to 64 visible characters, no control characters.</summary>
    public static bool IsDealId(string? dealId) =>
        dealId is not null && dealId.Trim().Length is > 0 and <= 64 && ReportRules.IsSingleLine(dealId);
}

/// <summary>Field rules of an interview; errors name the JSON path (e.g. <c>reasons[1].category</c>).</summary>
public sealed class BuyerFeedbackInputValidator : AbstractValidator<BuyerFeedbackInput>
{
    public BuyerFeedbackInputValidator(TaxonomyCache taxonomy)
    {
        RuleFor(x => x.IntervieweeRole).Must(v => v is not null && BuyerFeedbackRules.IntervieweeRoles.Contains(v))
            .WithMessage("intervieweeRole is required, one of: " + string.Join(", ", BuyerFeedbackRules.IntervieweeRoles) + ".")
            .OverridePropertyName("intervieweeRole");
        RuleFor(x => x.InterviewedOn).Must(v => ReportRules.TryParseDate(v, out var d) && d >= ReportRules.EarliestClose && d <= Clock.TodayUtc().AddDays(1))
            .WithMessage("interviewedOn is required: a date YYYY-MM-DD from 2000-01-01 to tomorrow (UTC).")
            .OverridePropertyName("interviewedOn");
        RuleFor(x => x.Outcome).Must(v => v is not null && ReportRules.Outcomes.Contains(v))
            .WithMessage("outcome (as the buyer sees it) is required: won, lost or no_decision.")
            .OverridePropertyName("outcome");
        RuleFor(x => x.Notes).Must(v => v is null || (v.Length <= BuyerFeedbackRules.MaxNotesLength && ReportRules.IsCleanText(v)))
            .WithMessage($"notes must be at most {BuyerFeedbackRules.MaxNotesLength} characters of text.")
            .OverridePropertyName("notes");
        RuleFor(x => x.CompetitorChosen).Must(v => v is null || CompetitorStore.NameProblem(v, "competitorChosen") is null)
            .WithMessage(x => CompetitorStore.NameProblem(x.CompetitorChosen, "competitorChosen") ?? "")
            .OverridePropertyName("competitorChosen");
        RuleFor(x => x).Custom((input, context) =>
        {
            var reasons = input.Reasons;
            if (reasons is null || reasons.Count == 0) context.AddFailure("reasons", "At least one reason is required (ranked: the first is the buyer's primary reason).");
            else if (reasons.Count > BuyerFeedbackRules.MaxReasons) context.AddFailure("reasons", $"At most {BuyerFeedbackRules.MaxReasons} reasons.");
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var categories = taxonomy.Current.ReasonCategories;
                for (var i = 0; i < reasons.Count; i++)
                {
                    var r = reasons[i];
                    if (r is null) { context.AddFailure($"reasons[{i}]", "A reason must be an object {category, detail?}."); continue; }
                    if (r.Category is null || !categories.Contains(r.Category))
                        context.AddFailure($"reasons[{i}].category", "category must be a reason category (GET /api/v1/taxonomy/reasons).");
                    else if (!seen.Add(r.Category)) context.AddFailure($"reasons[{i}].category", "The same reason appears twice; rank each reason once.");
                    if (r.Detail is not null && (r.Detail.Length > 500 || !ReportRules.IsCleanText(r.Detail)))
                        context.AddFailure($"reasons[{i}].detail", "detail must be at most 500 characters of text.");
                }
            }

            var competitors = input.CompetitorsConsidered;
            if (competitors is { Count: > BuyerFeedbackRules.MaxCompetitors }) context.AddFailure("competitorsConsidered", $"At most {BuyerFeedbackRules.MaxCompetitors} competitors.");
            else if (competitors is not null)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < competitors.Count; i++)
                {
                    if (CompetitorStore.NameProblem(competitors[i], $"competitorsConsidered[{i}]") is { } problem) context.AddFailure($"competitorsConsidered[{i}]", problem);
                    else if (!seen.Add(CompetitorNames.Normalize(competitors[i]))) context.AddFailure($"competitorsConsidered[{i}]", "The same competitor appears twice.");
                }
            }

            var objections = input.Objections;
            if (objections is { Count: > BuyerFeedbackRules.MaxObjections }) context.AddFailure("objections", $"At most {BuyerFeedbackRules.MaxObjections} objections.");
            else if (objections is not null)
            {
                for (var i = 0; i < objections.Count; i++)
                {
                    var o = objections[i];
                    if (o is null) { context.AddFailure($"objections[{i}]", "An objection must be an object {category, text?}."); continue; }
                    if (o.Category is null || !taxonomy.Current.ObjectionCategories.Contains(o.Category))
                        context.AddFailure($"objections[{i}].category", "category must be an objection category (GET /api/v1/taxonomy/objections).");
                    if (o.Text is not null && (o.Text.Length > 500 || !ReportRules.IsCleanText(o.Text)))
                        context.AddFailure($"objections[{i}].text", "text must be at most 500 characters of text.");
                }
            }

            var quotes = input.Quotes;
            if (quotes is { Count: > BuyerFeedbackRules.MaxQuotes }) context.AddFailure("quotes", $"At most {BuyerFeedbackRules.MaxQuotes} quotes.");
            else if (quotes is not null)
            {
                for (var i = 0; i < quotes.Count; i++)
                    if (string.IsNullOrWhiteSpace(quotes[i]) || quotes[i]!.Trim().Length > BuyerFeedbackRules.MaxQuoteLength || !ReportRules.IsCleanText(quotes[i]))
                        context.AddFailure($"quotes[{i}]", $"A quote must be 1 to {BuyerFeedbackRules.MaxQuoteLength} characters of text.");
            }
        });
    }
}

/// <summary>The SQL of buyer feedback: insert (inside a writer job), load one, list a deal's.</summary>
public static class BuyerFeedbackStore
{
    private const string InsertSql =
        """
        INSERT INTO buyer_feedback (deal_id, source, interviewee_role, interviewed_on, outcome, chosen_competitor, chosen_normalized,
                                    notes, survey_link_id, created_at, created_by)
        VALUES (@dealId, @source, @role, @on, @outcome, @chosen, @chosenNormalized, @notes, @surveyLinkId, @now, @by)
        RETURNING id
        """;
    private const string InsertReasonSql = "INSERT INTO buyer_feedback_reasons (feedback_id, rank, category, detail) VALUES (@id, @rank, @category, @detail)";
    private const string InsertCompetitorSql = "INSERT INTO buyer_feedback_competitors (feedback_id, position, name, normalized) VALUES (@id, @position, @name, @normalized)";
    private const string InsertObjectionSql = "INSERT INTO buyer_feedback_objections (feedback_id, position, category, text) VALUES (@id, @position, @category, @text)";
    private const string InsertQuoteSql = "INSERT INTO buyer_feedback_quotes (feedback_id, position, text) VALUES (@id, @position, @text)";

    // A name resolves through the alias table to its competitor, following a merge to the survivor.
    private const string LoadSql =
        """
        SELECT f.id AS Id, f.deal_id AS DealId, f.source AS Source, f.interviewee_role AS IntervieweeRole,
               f.interviewed_on AS InterviewedOn, f.outcome AS Outcome, f.chosen_competitor AS ChosenCompetitor,
               COALESCE(c.merged_into_id, c.id) AS ChosenCompetitorId, f.notes AS Notes, f.created_at AS CreatedAt,
               f.created_by AS CreatedBy, f.deleted_at AS DeletedAt, f.delete_reason AS DeleteReason,
               (SELECT r.id FROM reports r WHERE r.deal_id = f.deal_id AND r.deleted_at IS NULL) AS ReportId
        FROM buyer_feedback f
        LEFT JOIN competitor_aliases a ON a.normalized = f.chosen_normalized
        LEFT JOIN competitors c ON c.id = a.competitor_id
        WHERE f.id IN @ids
        ORDER BY f.id;
        SELECT feedback_id AS FeedbackId, rank AS Rank, category AS Category, detail AS Detail
        FROM buyer_feedback_reasons WHERE feedback_id IN @ids ORDER BY feedback_id, rank;
        SELECT bc.feedback_id AS FeedbackId, bc.name AS Name, COALESCE(c.merged_into_id, c.id) AS CompetitorId
        FROM buyer_feedback_competitors bc
        LEFT JOIN competitor_aliases a ON a.normalized = bc.normalized
        LEFT JOIN competitors c ON c.id = a.competitor_id
        WHERE bc.feedback_id IN @ids ORDER BY bc.feedback_id, bc.position;
        SELECT feedback_id AS FeedbackId, category AS Category, text AS Text
        FROM buyer_feedback_objections WHERE feedback_id IN @ids ORDER BY feedback_id, position;
        SELECT feedback_id AS FeedbackId, text AS Text
        FROM buyer_feedback_quotes WHERE feedback_id IN @ids ORDER BY feedback_id, position;
        """;

    /// <summary>Stores one feedback and its child rows; returns its id. The input must have passed validation.</summary>
    public static long Insert(DbConnection c, DbTransaction t, string dealId, string source, BuyerFeedbackInput input,
        long? surveyLinkId, long? createdBy, string now)
    {
        var chosen = ReportRules.Clean(input.CompetitorChosen);
        var id = c.QuerySingle<long>(InsertSql, new
        {
            dealId, source, role = input.IntervieweeRole, on = input.InterviewedOn, outcome = input.Outcome,
            chosen, chosenNormalized = chosen is null ? null : CompetitorNames.Normalize(chosen),
            notes = ReportRules.Clean(input.Notes), surveyLinkId, now, by = createdBy,
        }, t);
        var rank = 1;
        foreach (var r in input.Reasons ?? [])
            c.Execute(InsertReasonSql, new { id, rank = rank++, category = r!.Category, detail = ReportRules.Clean(r.Detail) }, t);

        // The chosen competitor is one of those considered, whether or not the input listed it.
        var considered = (input.CompetitorsConsidered ?? []).Select(n => n!.Trim()).ToList();
        if (chosen is not null && !considered.Any(n => CompetitorNames.Normalize(n) == CompetitorNames.Normalize(chosen))) considered.Add(chosen);
        var position = 0;
        foreach (var name in considered)
            c.Execute(InsertCompetitorSql, new { id, position = position++, name, normalized = CompetitorNames.Normalize(name) }, t);
        position = 0;
        foreach (var o in input.Objections ?? [])
            c.Execute(InsertObjectionSql, new { id, position = position++, category = o!.Category, text = ReportRules.Clean(o.Text) }, t);
        position = 0;
        foreach (var q in input.Quotes ?? [])
            c.Execute(InsertQuoteSql, new { id, position = position++, text = q!.Trim() }, t);
        return id;
    }

    public static async Task<List<BuyerFeedbackDto>> LoadAsync(DbConnection c, IReadOnlyCollection<long> ids, DbTransaction? t = null)
    {
        if (ids.Count == 0) return [];
        using var grid = await c.QueryMultipleAsync(Dialect.Of(c).Adapt(LoadSql), new { ids }, t);
        var heads = (await grid.ReadAsync<Head>()).ToList();
        var reasons = (await grid.ReadAsync<ReasonRow>()).ToLookup(r => r.FeedbackId);
        var competitors = (await grid.ReadAsync<CompetitorRow>()).ToLookup(r => r.FeedbackId);
        var objections = (await grid.ReadAsync<ObjectionRow>()).ToLookup(r => r.FeedbackId);
        var quotes = (await grid.ReadAsync<QuoteRow>()).ToLookup(r => r.FeedbackId);
        return heads.Select(h => new BuyerFeedbackDto
        {
            Id = h.Id, DealId = h.DealId, Source = h.Source, IntervieweeRole = h.IntervieweeRole, InterviewedOn = h.InterviewedOn,
            Outcome = h.Outcome,
            Reasons = reasons[h.Id].Select(r => new BuyerReasonDto(r.Rank, r.Category, r.Detail)).ToList(),
            CompetitorsConsidered = competitors[h.Id].Select(r => new BuyerCompetitorDto(r.Name, r.CompetitorId, r.CompetitorId is not null)).ToList(),
            CompetitorChosen = h.ChosenCompetitor is null ? null : new BuyerCompetitorDto(h.ChosenCompetitor, h.ChosenCompetitorId, h.ChosenCompetitorId is not null),
            Objections = objections[h.Id].Select(o => new BuyerObjectionDto(o.Category, o.Text)).ToList(),
            Quotes = quotes[h.Id].Select(q => q.Text).ToList(),
            Notes = h.Notes, ReportId = h.ReportId, CreatedAt = h.CreatedAt, CreatedBy = h.CreatedBy,
            DeletedAt = h.DeletedAt, DeleteReason = h.DeleteReason,
        }).ToList();
    }

    private sealed class Head
    {
        public long Id { get; init; }
        public string DealId { get; init; } = "";
        public string Source { get; init; } = "";
        public string IntervieweeRole { get; init; } = "";
        public string InterviewedOn { get; init; } = "";
        public string Outcome { get; init; } = "";
        public string? ChosenCompetitor { get; init; }
        public long? ChosenCompetitorId { get; init; }
        public string? Notes { get; init; }
        public string CreatedAt { get; init; } = "";
        public long? CreatedBy { get; init; }
        public string? DeletedAt { get; init; }
        public string? DeleteReason { get; init; }
        public long? ReportId { get; init; }
    }

    private sealed class ReasonRow
    {
        public long FeedbackId { get; init; }
        public int Rank { get; init; }
        public string Category { get; init; } = "";
        public string? Detail { get; init; }
    }

    private sealed class CompetitorRow
    {
        public long FeedbackId { get; init; }
        public string Name { get; init; } = "";
        public long? CompetitorId { get; init; }
    }

    private sealed class ObjectionRow
    {
        public long FeedbackId { get; init; }
        public string Category { get; init; } = "";
        public string? Text { get; init; }
    }

    private sealed class QuoteRow
    {
        public long FeedbackId { get; init; }
        public string Text { get; init; } = "";
    }
}
