using System.Globalization;
using System.Text;

namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// The matching key of a competitor name: case-, whitespace-, punctuation- and accent-insensitive,
/// with a web address shape ("https://www.", ".com", ".io", ...) and trailing legal suffixes removed
/// ("Inc", "Ltd", "GmbH & Co. KG", "S.A.", "OÜ", ...). Spaced-out initials are joined ("S.A.P." → "sap").
/// "Sales Force, Inc." and "salesforce.com" → "salesforce". Abbreviations ("SFDC", "MSFT") keep their own
/// key: they match only once an analyst makes them an alias.
/// </summary>
public static class CompetitorNames
{
    /// <summary>Legal-form words removed from the end of a name (after initials are joined: "S.p.A." is "spa").</summary>
    private static readonly HashSet<string> LegalSuffixes = new(StringComparer.Ordinal)
    {
        "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp", "lp", "plc",
        "pvt", "pte", "pty", "gmbh", "mbh", "kg", "ag", "ug", "se", "sa", "sas", "sarl", "srl", "spa", "sl", "ltda",
        "bv", "nv", "oy", "oyj", "ab", "as", "asa", "aps", "ou", "kk", "kft", "sro", "bhd", "sdn",
    };

    /// <summary>Web endings removed when written as ".xx" ("monday.com", "hubspot.co.uk"); "com" also as a word.</summary>
    private static readonly HashSet<string> WebSuffixes = new(StringComparer.Ordinal)
    {
        "com", "net", "org", "io", "ai", "co", "app", "uk", "de", "fr", "eu", "us",
    };

    public static string Normalize(string? name) => string.Concat(Words(name));

    /// <summary>The words of the matching key, in order (their concatenation is <see cref="Normalize"/>).</summary>
    public static List<string> Words(string? name)
    {
        var tokens = Tokenize(name);
        JoinInitials(tokens);

        // Leading "www." and "The".
        if (tokens.Count > 1 && tokens[0].Text == "www" && tokens[1].AfterDot) tokens.RemoveAt(0);
        if (tokens.Count > 1 && tokens[0].Text == "the") tokens.RemoveAt(0);

        // Trailing web endings and legal suffixes, repeatedly ("Foo.com, Inc.", "Müller GmbH & Co. KG").
        var removedSuffix = false;
        while (tokens.Count > 1)
        {
            var last = tokens[^1];
            if (last.Text == "com" || (last.AfterDot && WebSuffixes.Contains(last.Text)) || LegalSuffixes.Contains(last.Text))
            {
                tokens.RemoveAt(tokens.Count - 1);
                removedSuffix = true;
            }
            else if (last.Text == "and" && removedSuffix) tokens.RemoveAt(tokens.Count - 1); // "& Co."
            else break;
        }
        return tokens.Select(t => t.Text).ToList();
    }

    private sealed record Token(string Text, bool AfterDot);

    private static List<Token> Tokenize(string? name)
    {
        var tokens = new List<Token>();
        if (string.IsNullOrWhiteSpace(name)) return tokens;
        var scheme = name.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) name = name[(scheme + 3)..];
        // Compatibility decomposition: accents become combining marks (dropped below), full-width and
        // ligature forms become plain letters ("ＳＡＰ" → "SAP", "ﬁ" → "fi").
        var decomposed = name.Normalize(NormalizationForm.FormKD).ToLowerInvariant();
        var current = new StringBuilder();
        var afterDot = false;
        var sawDot = false;
        foreach (var ch in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(ch);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                continue;
            var folded = Fold(ch);
            if (folded is not null) { Start(); current.Append(folded); continue; }
            if (char.IsLetterOrDigit(ch)) { Start(); current.Append(ch); continue; }
            Flush();
            if (ch == '&') tokens.Add(new Token("and", false));
            if (ch == '.') sawDot = true;
        }
        Flush();
        return tokens;

        void Start()
        {
            if (current.Length > 0) return;
            afterDot = sawDot && tokens.Count > 0;
            sawDot = false;
        }

        void Flush()
        {
            if (current.Length == 0) return;
            tokens.Add(new Token(current.ToString(), afterDot));
            current.Clear();
            sawDot = false;
        }
    }

    /// <summary>Letters that do not decompose into a base letter plus an accent.</summary>
    private static string? Fold(char ch) => ch switch
    {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' or 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        _ => null,
    };

    /// <summary>Runs of one-character tokens are initials: "S.A.P." → "sap", "Ørsted A/S" → "orsted as".</summary>
    private static void JoinInitials(List<Token> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Text.Length != 1) continue;
            var end = i;
            while (end + 1 < tokens.Count && tokens[end + 1].Text.Length == 1) end++;
            if (end == i) continue;
            var joined = new Token(string.Concat(tokens.Skip(i).Take(end - i + 1).Select(t => t.Text)), tokens[i].AfterDot);
            tokens.RemoveRange(i, end - i + 1);
            tokens.Insert(i, joined);
        }
    }
}
