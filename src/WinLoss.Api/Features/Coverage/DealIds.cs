using System.Text;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// A CRM deal id as it is compared: Unicode NFKC (full-width "ＡＢＣ１" is "ABC1"), format characters removed (zero-width
/// spaces, BOMs, bidi marks pasted from spreadsheets), trimmed. Closed deals are stored under this key, so a deal pushed
/// by the CRM and a report filed for it meet whatever invisible characters either side carried.
/// </summary>
public static class DealIds
{
    /// <summary>The filing path's own normalisation (<see cref="Reports.ReportRules.NormalizeDealId"/>), so both sides agree.</summary>
    public static string Normalize(string value) => Reports.ReportRules.NormalizeDealId(value)!;

    /// <summary>False for text with lone UTF-16 surrogates (which JSON escapes can smuggle in).</summary>
    public static bool IsWellFormed(string? value)
    {
        if (value is null) return true;
        try { value.IsNormalized(NormalizationForm.FormKC); return true; }
        catch (ArgumentException) { return false; }
    }
}
