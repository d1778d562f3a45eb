using System.Globalization;
using System.Text;

namespace WinLoss.Api.Features.Coverage;

/// <summary>
/// A CRM deal id as it is compared: Unicode NFKC (full-width "ＡＢＣ１" is "ABC1"), format characters removed (zero-width
/// spaces, BOMs, bidi marks pasted from spreadsheets), trimmed. Closed deals are stored under this key, so a deal pushed
/// by the CRM and a report filed for it meet whatever invisible characters either side carried.
/// </summary>
public static class DealIds
{
    public static string Normalize(string value)
    {
        string composed;
        try { composed = value.Normalize(NormalizationForm.FormKC); }
        catch (ArgumentException) { return value.Trim(); } // lone surrogates: refused by IsWellFormed in the validator
        var sb = new StringBuilder(composed.Length);
        foreach (var ch in composed)
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.Format) sb.Append(ch);
        return sb.ToString().Trim();
    }

    /// <summary>False for text with lone UTF-16 surrogates (which JSON escapes can smuggle in).</summary>
    public static bool IsWellFormed(string? value)
    {
        if (value is null) return true;
        try { value.IsNormalized(NormalizationForm.FormKC); return true; }
        catch (ArgumentException) { return false; }
    }
}
