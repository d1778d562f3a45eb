using Dapper;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>The reason or objection categories reports may use: the seeded ones in their documented order (docs/api-guide.md, "Taxonomy"), then added ones in the order they were added.</summary>
public sealed record ListCategories(CategoryKind Kind) : IQuery<CategoryList>;

public sealed class ListCategoriesHandler(Db db) : IQueryHandler<ListCategories, CategoryList>
{
    private const string ReasonsSql =
        "SELECT code AS Code, label AS Label, seeded AS Seeded, created_at AS CreatedAt FROM reason_categories ORDER BY position, code";
    private const string ObjectionsSql =
        "SELECT code AS Code, label AS Label, seeded AS Seeded, created_at AS CreatedAt FROM objection_categories ORDER BY position, code";

    private sealed class Row
    {
        public string Code { get; init; } = "";
        public string Label { get; init; } = "";
        public bool Seeded { get; init; }
        public string CreatedAt { get; init; } = "";
    }

    public async ValueTask<CategoryList> Handle(ListCategories query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = query.Kind == CategoryKind.Reasons ? ReasonsSql : ObjectionsSql;
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(sql, cancellationToken: cancellationToken));
        return new CategoryList(rows.Select(r => new CategoryDto(r.Code, r.Label, r.Seeded, r.CreatedAt)).ToList());
    }

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/reasons", (ISender sender, CancellationToken ct) => Endpoint(CategoryKind.Reasons, sender, ct))
            .WithName("ListReasonCategories")
            .WithSummary("Reason categories (loss, no-decision and win reasons)")
            .RequireAuthorization(Policies.ReadTaxonomy);
        group.MapGet("/objections", (ISender sender, CancellationToken ct) => Endpoint(CategoryKind.Objections, sender, ct))
            .WithName("ListObjectionCategories")
            .WithSummary("Objection categories")
            .RequireAuthorization(Policies.ReadTaxonomy);
    }

    private static async Task<Ok<CategoryList>> Endpoint(CategoryKind kind, ISender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sender.Send(new ListCategories(kind), cancellationToken));
}
