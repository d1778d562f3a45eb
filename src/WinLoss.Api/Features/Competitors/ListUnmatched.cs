using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// The triage list: competitor names in live reports (competitors and objections) that resolve to no
/// competitor, grouped by matching key, most reports first. Each entry has its most common spelling,
/// every spelling with its report count, first/last seen (closedOn) and suggested competitors, best first.
/// </summary>
public sealed record ListUnmatched(int? Limit) : IQuery<UnmatchedList>;

public sealed record UnmatchedList(IReadOnlyList<UnmatchedName> Items, int Total);

public sealed record UnmatchedName(
    string Key, string Name, int Reports, string FirstSeen, string LastSeen,
    IReadOnlyList<UnmatchedSpelling> Spellings, IReadOnlyList<MatchSuggestions.Suggestion> Suggestions);

public sealed record UnmatchedSpelling(string Name, int Reports);

public sealed class ListUnmatchedValidator : AbstractValidator<ListUnmatched>
{
    public ListUnmatchedValidator() =>
        RuleFor(x => x.Limit).InclusiveBetween(1, 500).WithMessage("limit must be from 1 to 500.").OverridePropertyName("limit");
}

public sealed class ListUnmatchedHandler(Db db) : IQueryHandler<ListUnmatched, UnmatchedList>
{
    private const string Mentions =
        """
        WITH live AS (
            SELECT m.report_id, m.key, m.name, r.closed_on
            FROM (SELECT report_id, normalized AS key, name FROM report_competitors WHERE competitor_id IS NULL
                  UNION ALL
                  SELECT report_id, competitor_normalized, competitor FROM report_objections
                  WHERE competitor_id IS NULL AND competitor_normalized IS NOT NULL) m
            JOIN reports r ON r.id = m.report_id AND r.deleted_at IS NULL
            WHERE m.key <> '')
        """;

    private const string TopSql = Mentions +
        """

        SELECT key AS Key, COUNT(DISTINCT report_id) AS Reports, MIN(closed_on) AS FirstSeen, MAX(closed_on) AS LastSeen
        FROM live GROUP BY key ORDER BY Reports DESC, key LIMIT @limit;
        """;

    private const string TotalSql = Mentions + "\nSELECT COUNT(DISTINCT key) FROM live;";

    private const string SpellingsSql = Mentions +
        """

        SELECT key AS Key, name AS Name, COUNT(DISTINCT report_id) AS Reports
        FROM live WHERE key IN @keys GROUP BY key, name;
        """;

    private const string CandidatesSql =
        """
        SELECT a.competitor_id AS CompetitorId, c.name AS CompetitorName, a.alias AS Alias, a.normalized AS Normalized
        FROM competitor_aliases a JOIN competitors c ON c.id = a.competitor_id
        WHERE c.merged_into_id IS NULL
        """;

    private sealed class Top
    {
        public string Key { get; init; } = "";
        public long Reports { get; init; }
        public string FirstSeen { get; init; } = "";
        public string LastSeen { get; init; } = "";
    }

    private sealed class Spelling
    {
        public string Key { get; init; } = "";
        public string Name { get; init; } = "";
        public long Reports { get; init; }
    }

    private sealed class Candidate
    {
        public long CompetitorId { get; init; }
        public string CompetitorName { get; init; } = "";
        public string Alias { get; init; } = "";
        public string Normalized { get; init; } = "";
    }

    public async ValueTask<UnmatchedList> Handle(ListUnmatched query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var top = (await connection.QueryAsync<Top>(new CommandDefinition(TopSql, new { limit = query.Limit ?? 100 }, cancellationToken: cancellationToken))).ToList();
        var total = await connection.ExecuteScalarAsync<int>(new CommandDefinition(TotalSql, cancellationToken: cancellationToken));
        var keys = top.Select(t => t.Key).ToArray();
        var spellings = (keys.Length == 0 ? [] : await connection.QueryAsync<Spelling>(new CommandDefinition(
            SpellingsSql, new { keys }, cancellationToken: cancellationToken))).ToLookup(s => s.Key);
        var candidates = (await connection.QueryAsync<Candidate>(new CommandDefinition(CandidatesSql, cancellationToken: cancellationToken)))
            .Select(c => new MatchSuggestions.Name(c.CompetitorId, c.CompetitorName, c.Alias, c.Normalized, CompetitorNames.Words(c.Alias)))
            .ToList();

        var items = top.Select(t =>
        {
            var forms = spellings[t.Key]
                .OrderByDescending(s => s.Reports).ThenBy(s => s.Name, StringComparer.Ordinal)
                .Select(s => new UnmatchedSpelling(s.Name, (int)s.Reports)).ToList();
            var name = forms.Count > 0 ? forms[0].Name : t.Key;
            return new UnmatchedName(t.Key, name, (int)t.Reports, t.FirstSeen, t.LastSeen, forms,
                MatchSuggestions.For(t.Key, CompetitorNames.Words(name), candidates));
        }).ToList();
        return new UnmatchedList(items, total);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/unmatched", Endpoint)
            .WithName("ListUnmatchedCompetitorNames")
            .WithSummary("Competitor names that match no competitor, with report counts and suggested matches")
            .RequireAuthorization(Policies.ReadTaxonomy)
            .ProducesValidationProblem();

    private static async Task<Ok<UnmatchedList>> Endpoint(string? limit, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListUnmatched(QueryInt.Int(limit, "limit")), cancellationToken));
}
