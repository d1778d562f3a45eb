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
/// Merge competitor {id} into {intoId}: its name and aliases become aliases of intoId, all its reports are
/// re-attributed, and it stays as a tombstone (mergedIntoId) so its id keeps resolving. Competitors that
/// were merged into {id} earlier now point at intoId too. Returns the surviving competitor.
/// </summary>
public sealed record MergeCompetitors(long Id, long? IntoId, Caller Caller) : ICommand<CompetitorDto>;

/// <summary>Body of POST /api/v1/competitors/{id}/merge.</summary>
public sealed record MergeBody
{
    public long? IntoId { get; init; }
}

public sealed class MergeCompetitorsValidator : AbstractValidator<MergeCompetitors>
{
    public MergeCompetitorsValidator()
    {
        RuleFor(x => x.IntoId).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("intoId is required: the id of the competitor that survives.")
            .GreaterThan(0).WithMessage("intoId must be a competitor id.")
            .Must((command, into) => into != command.Id).WithMessage("A competitor cannot be merged into itself.")
            .OverridePropertyName("intoId");
    }
}

public sealed class MergeCompetitorsHandler(Writer writer) : ICommandHandler<MergeCompetitors, CompetitorDto>
{
    private const string MoveAliasesSql = "UPDATE competitor_aliases SET competitor_id = @intoId WHERE competitor_id = @fromId";
    private const string TombstoneSql = "UPDATE competitors SET merged_into_id = @intoId WHERE id = @fromId OR merged_into_id = @fromId";

    public ValueTask<CompetitorDto> Handle(MergeCompetitors command, CancellationToken cancellationToken) =>
        new(writer.ExecuteAsync((c, t) =>
        {
            var from = CompetitorStore.RequireLive(c, t, command.Id);
            var intoId = command.IntoId!.Value;
            var into = CompetitorStore.Load(c, intoId, t) ?? throw Invalid.Field("intoId", $"No competitor with id {intoId}.");
            if (into.MergedIntoId is { } further)
                throw new ConflictException($"Competitor {intoId} was itself merged into competitor {further}; merge into that one.",
                    new Dictionary<string, object?> { ["mergedIntoId"] = further, ["competitor"] = $"/api/v1/competitors/{further}" });

            var reattributed = Reattribution.ByCompetitor(c, t, from.Id, intoId);
            c.Execute(MoveAliasesSql, new { fromId = from.Id, intoId }, t);
            c.Execute(TombstoneSql, new { fromId = from.Id, intoId }, t);
            Audit.Record(c, t, command.Caller, "competitor.merged", $"competitor/{from.Id}",
                new { from = from.Id, fromName = from.Name, into = intoId, intoName = into.Name, reportsReattributed = reattributed });
            return CompetitorStore.Load(c, intoId, t)!;
        }, cancellationToken));

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/{id:long}/merge", Endpoint)
            .WithName("MergeCompetitors")
            .WithSummary("Merge this competitor into another; its aliases and reports move, it stays as a tombstone")
            .Accepts<MergeBody>("application/json")
            .RequireAuthorization(Policies.WriteTaxonomy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Ok<CompetitorDto>> Endpoint(long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<MergeBody>(http.Request, cancellationToken: cancellationToken);
        return TypedResults.Ok(await sender.Send(new MergeCompetitors(id, body.IntoId, Caller.From(http.User)), cancellationToken));
    }
}
