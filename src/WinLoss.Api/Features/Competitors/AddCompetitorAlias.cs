using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// Add an alias to a competitor: 201 when new, 200 when the name already resolves to this competitor,
/// 409 naming the other competitor when it resolves to another one. Past reports that wrote the alias
/// are re-attributed at once.
/// </summary>
public sealed record AddCompetitorAlias(long CompetitorId, string? Alias, Caller Caller) : ICommand<AddCompetitorAliasResult>;

public sealed record AddCompetitorAliasResult(CompetitorDto Competitor, bool Added);

/// <summary>Body of POST /api/v1/competitors/{id}/aliases.</summary>
public sealed record AddAliasBody
{
    public string? Alias { get; init; }
}

public sealed class AddCompetitorAliasValidator : AbstractValidator<AddCompetitorAlias>
{
    public AddCompetitorAliasValidator() =>
        RuleFor(x => x.Alias).Custom((alias, context) =>
        {
            if (CompetitorStore.NameProblem(alias, "alias") is { } problem) context.AddFailure("alias", problem);
        });
}

public sealed class AddCompetitorAliasHandler(Writer writer) : ICommandHandler<AddCompetitorAlias, AddCompetitorAliasResult>
{
    public ValueTask<AddCompetitorAliasResult> Handle(AddCompetitorAlias command, CancellationToken cancellationToken) =>
        new(writer.ExecuteAsync((c, t) =>
        {
            CompetitorStore.RequireLive(c, t, command.CompetitorId);
            var alias = command.Alias!.Trim();
            var added = CompetitorStore.AddName(c, t, command.CompetitorId, alias, "alias");
            var reattributed = Reattribution.ByKeys(c, t, [CompetitorNames.Normalize(alias)], command.CompetitorId);
            if (added)
                Audit.Record(c, t, command.Caller, "competitor.alias_added", $"competitor/{command.CompetitorId}",
                    new { alias, reportsReattributed = reattributed });
            return new AddCompetitorAliasResult(CompetitorStore.Load(c, command.CompetitorId, t)!, added);
        }, cancellationToken));

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/{id:long}/aliases", Endpoint)
            .WithName("AddCompetitorAlias")
            .WithSummary("Add an alias; past reports that wrote it are re-attributed")
            .Accepts<AddAliasBody>("application/json")
            .RequireAuthorization(Policies.WriteTaxonomy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Results<Created<CompetitorDto>, Ok<CompetitorDto>>> Endpoint(
        long id, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<AddAliasBody>(http.Request, cancellationToken: cancellationToken);
        var result = await sender.Send(new AddCompetitorAlias(id, body.Alias, Caller.From(http.User)), cancellationToken);
        return result.Added
            ? TypedResults.Created($"/api/v1/competitors/{id}", result.Competitor)
            : TypedResults.Ok(result.Competitor);
    }
}
