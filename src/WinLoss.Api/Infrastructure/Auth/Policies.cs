using Microsoft.AspNetCore.Authorization;

namespace WinLoss.Api.Infrastructure.Auth;

/// <summary>
/// The permission matrix (README "Roles", docs/api-guide.md#users-roles-and-api-keys), in one place: one named policy per action.
/// Ownership rules that need the data (a rep's own report, the 14-day amend window) live in the handlers.
/// </summary>
public static class Policies
{
    public const string FileReport = nameof(FileReport);
    public const string ReadReports = nameof(ReadReports);
    public const string AmendReport = nameof(AmendReport);
    public const string DeleteReport = nameof(DeleteReport);
    public const string ReadTrends = nameof(ReadTrends);
    public const string ReadTaxonomy = nameof(ReadTaxonomy);
    public const string WriteTaxonomy = nameof(WriteTaxonomy);
    public const string WriteCatalog = nameof(WriteCatalog);
    public const string ExportReports = nameof(ExportReports);
    public const string ExportTrends = nameof(ExportTrends);
    public const string ImportCrm = nameof(ImportCrm);
    public const string WriteBuyerFeedback = nameof(WriteBuyerFeedback);
    public const string ReadBuyerFeedback = nameof(ReadBuyerFeedback);
    public const string ReadCalibration = nameof(ReadCalibration);
    public const string ManageWebhooks = nameof(ManageWebhooks);
    public const string Admin = nameof(Admin);
    public const string Authenticated = nameof(Authenticated);

    public static readonly IReadOnlyDictionary<string, string[]> Matrix = new Dictionary<string, string[]>
    {
        [FileReport] = [Roles.Rep, Roles.Analyst, Roles.Admin],
        [ReadReports] = Roles.All,
        [AmendReport] = [Roles.Rep, Roles.Analyst, Roles.Admin],
        [DeleteReport] = [Roles.Analyst, Roles.Admin],
        [ReadTrends] = Roles.All,
        [ReadTaxonomy] = Roles.All,
        [WriteTaxonomy] = [Roles.Analyst, Roles.Admin],
        [WriteCatalog] = [Roles.Marketing, Roles.Analyst, Roles.Admin],
        [ExportReports] = [Roles.Analyst, Roles.Admin],
        [ExportTrends] = [Roles.Marketing, Roles.Analyst, Roles.Admin],
        [ImportCrm] = [Roles.Analyst, Roles.Admin],
        [WriteBuyerFeedback] = [Roles.Analyst, Roles.Admin],
        [ReadBuyerFeedback] = [Roles.Marketing, Roles.Analyst, Roles.Admin],
        [ReadCalibration] = [Roles.Marketing, Roles.Analyst, Roles.Admin],
        [ManageWebhooks] = [Roles.Analyst, Roles.Admin],
        [Admin] = [Roles.Admin],
        [Authenticated] = Roles.All,
    };

    public static void Add(AuthorizationOptions options)
    {
        foreach (var (name, roles) in Matrix)
            options.AddPolicy(name, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireRole(roles));
    }
}
