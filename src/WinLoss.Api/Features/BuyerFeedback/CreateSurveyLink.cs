using System.Security.Cryptography;
using System.Text;
using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Http;

namespace WinLoss.Api.Features.BuyerFeedback;

/// <summary>Body of POST /api/v1/deals/{dealId}/survey-links (optional): how many days the link stays open (1-90, default 14).</summary>
public sealed record SurveyLinkInput
{
    public int? ExpiresInDays { get; init; }
}

/// <summary>The new link. <c>url</c> holds the token: it is shown once here and stored only as a hash.</summary>
public sealed record SurveyLinkDto(long Id, string DealId, string Url, string ExpiresAt, string CreatedAt);

/// <summary>
/// An analyst creates a one-time survey link for a deal, to send to someone on the buyer's side. The token is
/// 256 random bits (base64url, 43 characters); only its SHA-256 is stored. Audited (without the token).
/// </summary>
public sealed record CreateSurveyLink(string DealId, int? ExpiresInDays, string BaseUrl, Caller Caller) : ICommand<SurveyLinkDto>;

public sealed class CreateSurveyLinkValidator : AbstractValidator<CreateSurveyLink>
{
    public CreateSurveyLinkValidator()
    {
        RuleFor(x => x.DealId).Must(BuyerFeedbackRules.IsDealId).WithMessage("dealId must be 1 to 64 characters on one line.").OverridePropertyName("dealId");
        RuleFor(x => x.ExpiresInDays).InclusiveBetween(1, 90).When(x => x.ExpiresInDays is not null)
            .WithMessage("expiresInDays must be a whole number of days from 1 to 90.").OverridePropertyName("expiresInDays");
    }
}

public sealed class CreateSurveyLinkHandler(Writer writer) : ICommandHandler<CreateSurveyLink, SurveyLinkDto>
{
    public const int DefaultDays = 14;

    private const string InsertSql =
        """
        INSERT INTO survey_links (deal_id, token_hash, created_at, created_by, expires_at)
        VALUES (@dealId, @hash, @now, @by, @expiresAt) RETURNING id
        """;

    public async ValueTask<SurveyLinkDto> Handle(CreateSurveyLink command, CancellationToken cancellationToken)
    {
        var dealId = command.DealId.Trim();
        var token = SurveyTokens.Generate();
        var now = DateTimeOffset.UtcNow;
        var expiresAt = Clock.Format(now.AddDays(command.ExpiresInDays ?? DefaultDays));
        var createdAt = Clock.Format(now);
        var id = await writer.ExecuteAsync((c, t) =>
        {
            var id = c.QuerySingle<long>(InsertSql, new { dealId, hash = SurveyTokens.Hash(token), now = createdAt, by = command.Caller.UserId, expiresAt }, t);
            Audit.Record(c, t, command.Caller, "survey_link.created", $"deal/{dealId}/survey-links/{id}", new { expiresAt });
            return id;
        }, cancellationToken);
        return new SurveyLinkDto(id, dealId, $"{command.BaseUrl}/survey/{token}", expiresAt, createdAt);
    }

    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/", Endpoint)
            .WithName("CreateSurveyLink")
            .WithSummary("Create a one-time survey link for the buyer of a deal")
            .WithDescription("The link opens a short public survey (no login) and can be answered once before it expires. The token is shown only in this response.")
            .Accepts<SurveyLinkInput>("application/json")
            .RequireAuthorization(Policies.WriteBuyerFeedback)
            .ProducesValidationProblem();

    private static async Task<Created<SurveyLinkDto>> Endpoint(string dealId, HttpContext http, ISender sender, CancellationToken cancellationToken)
    {
        int? days = null;
        if (http.Request.ContentLength is not 0 && http.Request.ContentType is not null)
            days = (await JsonBody.ReadAsync<SurveyLinkInput>(http.Request, 4096, cancellationToken)).Value.ExpiresInDays;
        var baseUrl = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
        var dto = await sender.Send(new CreateSurveyLink(dealId, days, baseUrl, Caller.From(http.User)), cancellationToken);
        return TypedResults.Created(dto.Url, dto);
    }
}

/// <summary>Survey tokens: 256 bits from the OS CSPRNG, base64url; stored as SHA-256 (a random 256-bit secret needs no slow hash).</summary>
public static class SurveyTokens
{
    public const int Length = 43;

    public static string Generate() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));

    /// <summary>True when the text could be a token (43 base64url characters); anything else is unknown without a lookup.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: Length } && token.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_');
}
