using System.Text.RegularExpressions;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.Taxonomy;

/// <summary>Add a reason or objection category (analysts and admins). A code that exists already is 409.</summary>
public sealed record AddCategory(CategoryKind Kind, string? Code, string? Label, Caller Caller) : ICommand<CategoryDto>;

public sealed partial class AddCategoryValidator : AbstractValidator<AddCategory>
{
    public AddCategoryValidator()
    {
        RuleFor(x => x.Code).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("code is required.")
            .Must(c => c!.Length <= 50 && SnakeCase().IsMatch(c)).WithMessage("code must be snake_case (a-z, 0-9 and single underscores, starting with a letter), at most 50 characters.")
            .OverridePropertyName("code");
        RuleFor(x => x.Label).Cascade(CascadeMode.Stop)
            .Must(l => !string.IsNullOrWhiteSpace(l)).WithMessage("label is required.")
            .Must(l => l!.Trim().Length <= 100 && ReportRules.IsSingleLine(l)).WithMessage("label must be one line of at most 100 characters.")
            .OverridePropertyName("label");
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();
}

public sealed class AddCategoryHandler(Writer writer, TaxonomyCache taxonomy) : ICommandHandler<AddCategory, CategoryDto>
{
    private const string ReasonExistsSql = "SELECT label FROM reason_categories WHERE code = @code";
    private const string ObjectionExistsSql = "SELECT label FROM objection_categories WHERE code = @code";
    private const string InsertReasonSql = "INSERT INTO reason_categories (code, label, seeded, created_at, position) VALUES (@code, @label, 0, @now, (SELECT COALESCE(MAX(position), 0) + 1 FROM reason_categories))";
    private const string InsertObjectionSql = "INSERT INTO objection_categories (code, label, seeded, created_at, position) VALUES (@code, @label, 0, @now, (SELECT COALESCE(MAX(position), 0) + 1 FROM objection_categories))";

    public async ValueTask<CategoryDto> Handle(AddCategory command, CancellationToken cancellationToken)
    {
        var reasons = command.Kind == CategoryKind.Reasons;
        var category = await writer.ExecuteAsync((c, t) =>
        {
            var code = command.Code!;
            var label = command.Label!.Trim();
            var existing = c.ExecuteScalar<string?>(reasons ? ReasonExistsSql : ObjectionExistsSql, new { code }, t);
            if (existing is not null)
                throw new ConflictException($"The {(reasons ? "reason" : "objection")} category '{code}' exists already ({existing}).",
                    new Dictionary<string, object?> { ["field"] = "code", ["code"] = code });
            var now = Clock.Now();
            c.Execute(reasons ? InsertReasonSql : InsertObjectionSql, new { code, label, now }, t);
            Audit.Record(c, t, command.Caller, reasons ? "taxonomy.reason_added" : "taxonomy.objection_added", $"{CategoryTables.Path(command.Kind)}/{code}", new { code, label });
            return new CategoryDto(code, label, false, now);
        }, cancellationToken);
        taxonomy.Invalidate();
        return category;
    }

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/reasons", (HttpContext http, ISender sender, CancellationToken ct) => Endpoint(CategoryKind.Reasons, http, sender, ct))
            .WithName("AddReasonCategory")
            .WithSummary("Add a reason category (snake_case code, label)")
            .Accepts<AddCategoryBody>("application/json")
            .RequireAuthorization(Policies.WriteTaxonomy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/objections", (HttpContext http, ISender sender, CancellationToken ct) => Endpoint(CategoryKind.Objections, http, sender, ct))
            .WithName("AddObjectionCategory")
            .WithSummary("Add an objection category (snake_case code, label)")
            .Accepts<AddCategoryBody>("application/json")
            .RequireAuthorization(Policies.WriteTaxonomy)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Created<CategoryDto>> Endpoint(CategoryKind kind, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        var (body, _) = await JsonBody.ReadAsync<AddCategoryBody>(http.Request, cancellationToken: cancellationToken);
        var category = await sender.Send(new AddCategory(kind, body.Code, body.Label, Caller.From(http.User)), cancellationToken);
        return TypedResults.Created($"/api/v1/taxonomy/{CategoryTables.Path(kind)}", category);
    }
}
