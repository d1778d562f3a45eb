using System.Globalization;
using System.Text;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// The matching key of a competitor name: case-, whitespace-, punctuation- and accent-insensitive,
/// with a trailing ".com" and common legal suffixes removed. "Sales Force, Inc." and "salesforce.com" → "salesforce".
/// </summary>
public static class CompetitorNames
{
    private static readonly string[] LegalSuffixes =
    [
        "incorporated", "inc", "ltd", "limited", "llc", "llp", "gmbh", "corp", "corporation", "co", "company",
        "plc", "ag", "sa", "sas", "srl", "bv", "nv", "oy", "ab", "as", "pty", "kk", "spa", "sarl",
    ];

    public static string Normalize(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "";
        // Strip accents: decompose, drop combining marks.
        var decomposed = name.Trim().ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(ch);
            if (category == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsLetterOrDigit(ch)) current.Append(ch);
            else if (ch == '.' && current.Length > 0) { words.Add(current.ToString()); words.Add("."); current.Clear(); }
            else if (ch == '&') { Flush(); words.Add("and"); }
            else Flush();
        }
        Flush();
        words.RemoveAll(w => w == ".");
        // Remove ".com" style web suffix and legal suffixes from the end (repeatedly: "Foo.com Inc").
        while (words.Count > 1)
        {
            var last = words[^1];
            if (last is "com" || Array.IndexOf(LegalSuffixes, last) >= 0) words.RemoveAt(words.Count - 1);
            else break;
        }
        return string.Concat(words);

        void Flush()
        {
            if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
        }
    }
}
