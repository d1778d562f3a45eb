using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// Create a competitor with aliases. Its name and every alias must not already resolve to another
/// competitor (409 naming it). Past reports that wrote any of these names are re-attributed at once.
/// </summary>
public sealed record CreateCompetitor(string? Name, IReadOnlyList<string?>? Aliases, Caller Caller) : ICommand<CompetitorDto>;

public sealed class CreateCompetitorValidator : AbstractValidator<CreateCompetitor>
{
    public const int MaxAliases = 50;

    public CreateCompetitorValidator() =>
        RuleFor(x => x).Custom((command, context) =>
        {
            if (CompetitorStore.NameProblem(command.Name, "name") is { } problem) context.AddFailure("name", problem);
            var aliases = command.Aliases ?? [];
            if (aliases.Count > MaxAliases) { context.AddFailure("aliases", $"At most {MaxAliases} aliases."); return; }
            for (var i = 0; i < aliases.Count; i++)
                if (CompetitorStore.NameProblem(aliases[i], "An alias") is { } aliasProblem) context.AddFailure($"aliases[{i}]", aliasProblem);
        });
}

public sealed class CreateCompetitorHandler(Writer writer) : ICommandHandler<CreateCompetitor, CompetitorDto>
{
    private const string InsertSql = "INSERT INTO competitors (name, created_at) VALUES (@name, @now) RETURNING id";

    public ValueTask<CompetitorDto> Handle(CreateCompetitor command, CancellationToken cancellationToken) =>
        new(writer.ExecuteAsync((c, t) =>
        {
            var name = command.Name!.Trim();
            var id = c.ExecuteScalar<long>(InsertSql, new { name, now = Clock.Now() }, t);
            var keys = new List<string>();
            CompetitorStore.AddName(c, t, id, name, "name");
            keys.Add(CompetitorNames.Normalize(name));
            var aliases = command.Aliases ?? [];
            for (var i = 0; i < aliases.Count; i++)
            {
                var alias = aliases[i]!.Trim();
                if (CompetitorStore.AddName(c, t, id, alias, $"aliases[{i}]")) keys.Add(CompetitorNames.Normalize(alias));
            }
            var reattributed = Reattribution.ByKeys(c, t, keys, id);
            Audit.Record(c, t, command.Caller, "competitor.created", $"competitor/{id}",
                new { name, aliases = aliases.Select(a => a!.Trim()), reportsReattributed = reattributed });
            return CompetitorStore.Load(c, id, t)!;
        }, cancellationToken));

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/", Endpoint)
            .WithName("CreateCompetitor")
            .WithSummary("Create a competitor with aliases; past reports naming any of them are re-attributed")
            .Accepts<CreateCompetitorBody>("application/json")
            .RequireAuthorization(Policies.WriteTaxonomy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Created<CompetitorDto>> Endpoint(HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<CreateCompetitorBody>(http.Request, cancellationToken: cancellationToken);
        var competitor = await sender.Send(new CreateCompetitor(body.Name, body.Aliases, Caller.From(http.User)), cancellationToken);
        return TypedResults.Created($"/api/v1/competitors/{competitor.Id}", competitor);
    }
}
