using System.Text.RegularExpressions;
using FluentValidation;
using WinLoss.Api.Features.Reports;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>A marketing message reps say they used (and how it landed). Inactive ones cannot be named in new reports.</summary>
public sealed record CatalogMessageDto(string Id, string Title, string? Pillar, string? Stage, bool Active, string CreatedAt, string UpdatedAt);

/// <summary>A piece of collateral (battlecard, case study, ...) reps say they used. Inactive ones cannot be named in new reports.</summary>
public sealed record CatalogCollateralDto(string Id, string Title, string? Kind, string? Url, bool Active, string CreatedAt, string UpdatedAt);

public sealed record CatalogMessageList(IReadOnlyList<CatalogMessageDto> Items);

public sealed record CatalogCollateralList(IReadOnlyList<CatalogCollateralDto> Items);

/// <summary>Body of POST (all fields), PUT (title and active required; absent pillar/stage become null) and PATCH (only the fields sent change).</summary>
public sealed record CatalogMessageBody
{
    public string? Id { get; init; }
    public string? Title { get; init; }
    public string? Pillar { get; init; }
    public string? Stage { get; init; }
    public bool? Active { get; init; }
}

/// <summary>Body of POST (all fields), PUT (title and active required; absent kind/url become null) and PATCH (only the fields sent change).</summary>
public sealed record CatalogCollateralBody
{
    public string? Id { get; init; }
    public string? Title { get; init; }
    public string? Kind { get; init; }
    public string? Url { get; init; }
    public bool? Active { get; init; }
}

/// <summary>The two catalogues; what they share is in <see cref="CatalogKind{TBody, TDto}"/>.</summary>
public static class Catalogs
{
    public static readonly CatalogKind<CatalogMessageBody, CatalogMessageDto> Messages = new(
        path: "messages", table: "catalog_messages", columns: ("pillar", "stage"), namedBy: ("report_messages", "message_id"),
        auditName: "message", noun: "Message", nounWithArticle: "A message",
        fields: b => new(b.Id, b.Title, b.Pillar, b.Stage, b.Active),
        dto: r => new(r.Id, r.Title, Pillar: r.Field1, Stage: r.Field2, r.Active, r.CreatedAt, r.UpdatedAt));

    public static readonly CatalogKind<CatalogCollateralBody, CatalogCollateralDto> Collateral = new(
        path: "collateral", table: "catalog_collateral", columns: ("kind", "url"), namedBy: ("report_collateral", "collateral_id"),
        auditName: "collateral", noun: "Collateral", nounWithArticle: "A collateral item",
        fields: b => new(b.Id, b.Title, b.Kind, b.Url, b.Active),
        dto: r => new(r.Id, r.Title, Kind: r.Field1, Url: r.Field2, r.Active, r.CreatedAt, r.UpdatedAt));
}

/// <summary>How a catalogue write replaces the stored item.</summary>
public enum CatalogWrite
{
    Create,
    Replace,
    Patch,
}

public static partial class CatalogRules
{
    public const int MaxTitle = 200;

    public static string? Clean(string? value) => ReportRules.Clean(value);

    /// <summary>Field checks shared by messages and collateral. <paramref name="pathId"/> is the id in the URL (PUT/PATCH).</summary>
    public static void CheckCommon<T>(ValidationContext<T> context, CatalogWrite write, string? id, string? pathId, string? title, bool? active)
    {
        if (write == CatalogWrite.Create)
        {
            if (string.IsNullOrEmpty(id)) context.AddFailure("id", "id is required.");
            else if (!IdPattern().IsMatch(id)) context.AddFailure("id", "id must be 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
        else if (id is not null && id != pathId)
        {
            context.AddFailure("id", "id in the body must equal the id in the URL (ids cannot be changed).");
        }
        if (write != CatalogWrite.Patch && string.IsNullOrWhiteSpace(title)) context.AddFailure("title", "title is required.");
        else if (title is not null && (string.IsNullOrWhiteSpace(title) || title.Trim().Length > MaxTitle || !ReportRules.IsSingleLine(title)))
            context.AddFailure("title", $"title must be one line of 1 to {MaxTitle} characters.");
        if (write == CatalogWrite.Replace && active is null) context.AddFailure("active", "active is required (true or false).");
    }

    public static void CheckShortText<T>(ValidationContext<T> context, string field, string? value, int max)
    {
        if (value is not null && (value.Trim().Length > max || !ReportRules.IsSingleLine(value)))
            context.AddFailure(field, $"{field} must be one line of at most {max} characters.");
    }

    public static bool IsHttpUrl(string value) =>
        value.Length <= 2000 && Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();
}
