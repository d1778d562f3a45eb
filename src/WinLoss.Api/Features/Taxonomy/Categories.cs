namespace WinLoss.Api.Features.Taxonomy;

/// <summary>A reason or objection category: a stable snake_case code reports use, and a label for people.</summary>
public sealed record CategoryDto(string Code, string Label, bool Seeded, string CreatedAt);

public sealed record CategoryList(IReadOnlyList<CategoryDto> Items);

/// <summary>Body of POST /api/v1/taxonomy/{reasons|objections}.</summary>
public sealed record AddCategoryBody
{
    public string? Code { get; init; }
    public string? Label { get; init; }
}

/// <summary>The two category lists.</summary>
public enum CategoryKind
{
    Reasons,
    Objections,
}

public static class CategoryTables
{
    public static string Path(CategoryKind kind) => kind == CategoryKind.Reasons ? "reasons" : "objections";
}
