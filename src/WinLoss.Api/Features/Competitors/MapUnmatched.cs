using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// Triage one unmatched name: <c>{name, competitorId}</c> makes it an alias of that competitor,
/// <c>{name, newCompetitor: true}</c> creates a competitor with that name. Either way every past report
/// that wrote the name (any spelling with the same key) is re-attributed in the same transaction.
/// </summary>
public sealed record MapUnmatched(string? Name, long? CompetitorId, bool? NewCompetitor, Caller Caller) : ICommand<MapUnmatchedResult>;

public sealed record MapUnmatchedResult(CompetitorDto Competitor, int ReportsReattributed);

/// <summary>Body of POST /api/v1/competitors/unmatched/map.</summary>
public sealed record MapUnmatchedBody
{
    public string? Name { get; init; }
    public long? CompetitorId { get; init; }
    public bool? NewCompetitor { get; init; }
}

public sealed class MapUnmatchedValidator : AbstractValidator<MapUnmatched>
{
    public MapUnmatchedValidator() =>
        RuleFor(x => x).Custom((command, context) =>
        {
            if (CompetitorStore.NameProblem(command.Name, "name") is { } problem) context.AddFailure("name", problem);
            var isNew = command.NewCompetitor == true;
            if (command.CompetitorId is null && !isNew)
                context.AddFailure("competitorId", "Give competitorId (map as an alias) or newCompetitor: true (create a competitor).");
            else if (command.CompetitorId is not null && isNew)
                context.AddFailure("competitorId", "Give either competitorId or newCompetitor: true, not both.");
            else if (command.CompetitorId <= 0)
                context.AddFailure("competitorId", "competitorId must be a competitor id.");
        });
}

public sealed class MapUnmatchedHandler(Writer writer) : ICommandHandler<MapUnmatched, MapUnmatchedResult>
{
    private const string InsertSql = "INSERT INTO competitors (name, created_at) VALUES (@name, @now) RETURNING id";
    private const string ExistsSql = "SELECT COUNT(*) FROM competitors WHERE id = @id";

    public ValueTask<MapUnmatchedResult> Handle(MapUnmatched command, CancellationToken cancellationToken) =>
        new(writer.ExecuteAsync((c, t) =>
        {
            var name = command.Name!.Trim();
            long competitorId;
            if (command.CompetitorId is { } id)
            {
                if (c.ExecuteScalar<long>(ExistsSql, new { id }, t) == 0) throw Invalid.Field("competitorId", $"No competitor with id {id}.");
                CompetitorStore.RequireLive(c, t, id);
                competitorId = id;
            }
            else
            {
                competitorId = c.ExecuteScalar<long>(InsertSql, new { name, now = Clock.Now() }, t);
            }
            CompetitorStore.AddName(c, t, competitorId, name, "name");
            var reattributed = Reattribution.ByKeys(c, t, [CompetitorNames.Normalize(name)], competitorId);
            Audit.Record(c, t, command.Caller, "competitor.unmatched_mapped", $"competitor/{competitorId}",
                new { name, newCompetitor = command.CompetitorId is null, reportsReattributed = reattributed });
            return new MapUnmatchedResult(CompetitorStore.Load(c, competitorId, t)!, reattributed);
        }, cancellationToken));

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/unmatched/map", Endpoint)
            .WithName("MapUnmatchedCompetitorName")
            .WithSummary("Map an unmatched name to a competitor (as an alias) or to a new competitor; re-attributes past reports")
            .Accepts<MapUnmatchedBody>("application/json")
            .RequireAuthorization(Policies.WriteTaxonomy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Ok<MapUnmatchedResult>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<MapUnmatchedBody>(http.Request, cancellationToken: cancellationToken);
        return TypedResults.Ok(await sender.Send(new MapUnmatched(body.Name, body.CompetitorId, body.NewCompetitor, Caller.From(http.User)), cancellationToken));
    }
}
