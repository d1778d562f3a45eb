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
    // One pass over the unmatched mentions of live reports (each needs its report's closed_on); grouped here,
    // because a report may mention one key twice (in competitors and in an objection) and counts are of reports.
    private const string MentionsSql =
        """
        SELECT m.key AS Key, m.name AS Name, m.report_id AS ReportId, r.closed_on AS ClosedOn
        FROM (SELECT report_id, normalized AS key, name FROM report_competitors WHERE competitor_id IS NULL
              UNION ALL
              SELECT report_id, competitor_normalized, competitor FROM report_objections
              WHERE competitor_id IS NULL AND competitor_normalized IS NOT NULL) m
        JOIN reports r ON r.id = m.report_id AND r.deleted_at IS NULL
        WHERE m.key <> ''
        """;

    private const string CandidatesSql =
        """
        SELECT a.competitor_id AS CompetitorId, c.name AS CompetitorName, a.alias AS Alias, a.normalized AS Normalized
        FROM competitor_aliases a JOIN competitors c ON c.id = a.competitor_id
        WHERE c.merged_into_id IS NULL
        """;

    private sealed class Mention
    {
        public string Key { get; init; } = "";
        public string Name { get; init; } = "";
        public long ReportId { get; init; }
        public string ClosedOn { get; init; } = "";
    }

    private sealed class Group
    {
        public HashSet<long> Reports { get; } = [];
        public Dictionary<string, HashSet<long>> Names { get; } = new(StringComparer.Ordinal);
        public string FirstSeen { get; set; } = "9999-12-31";
        public string LastSeen { get; set; } = "";
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
        var groups = new Dictionary<string, Group>(StringComparer.Ordinal);
        foreach (var m in await connection.QueryAsync<Mention>(new CommandDefinition(MentionsSql, cancellationToken: cancellationToken)))
        {
            if (!groups.TryGetValue(m.Key, out var g)) groups[m.Key] = g = new Group();
            g.Reports.Add(m.ReportId);
            if (!g.Names.TryGetValue(m.Name, out var named)) g.Names[m.Name] = named = [];
            named.Add(m.ReportId);
            if (string.CompareOrdinal(m.ClosedOn, g.FirstSeen) < 0) g.FirstSeen = m.ClosedOn;
            if (string.CompareOrdinal(m.ClosedOn, g.LastSeen) > 0) g.LastSeen = m.ClosedOn;
        }
        var candidates = (await connection.QueryAsync<Candidate>(new CommandDefinition(CandidatesSql, cancellationToken: cancellationToken)))
            .Select(c => new MatchSuggestions.Name(c.CompetitorId, c.CompetitorName, c.Alias, c.Normalized, CompetitorNames.Words(c.Alias)))
            .ToList();

        var items = groups
            .OrderByDescending(kv => kv.Value.Reports.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(query.Limit ?? 100)
            .Select(kv =>
            {
                var g = kv.Value;
                var spellings = g.Names
                    .Select(n => new UnmatchedSpelling(n.Key, n.Value.Count))
                    .OrderByDescending(n => n.Reports).ThenBy(n => n.Name, StringComparer.Ordinal)
                    .ToList();
                var name = spellings[0].Name;
                return new UnmatchedName(kv.Key, name, g.Reports.Count, g.FirstSeen, g.LastSeen, spellings,
                    MatchSuggestions.For(kv.Key, CompetitorNames.Words(name), candidates));
            })
            .ToList();
        return new UnmatchedList(items, groups.Count);
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
