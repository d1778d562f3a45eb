namespace WinLoss.Api.Features.Competitors;

/// <summary>
/// Scores how likely an unmatched name means a known competitor (0..1), from its matching key and words:
/// the best of edit similarity on keys (typos: "Salesforse"), fuzzy word overlap ("Microsoft Dynamics 365"
/// vs "Microsoft"), key prefix ("salesforcecrm") and initials-style abbreviation ("msft" in "microsoft").
/// A competitor scores as its best-matching name or alias.
/// </summary>
public static class MatchSuggestions
{
    public const double MinScore = 0.4;
    public const int MaxSuggestions = 5;

    public sealed record Name(long CompetitorId, string CompetitorName, string Alias, string Key, IReadOnlyList<string> Words);

    public sealed record Suggestion(long CompetitorId, string Name, double Score, string MatchedName);

    public static IReadOnlyList<Suggestion> For(string key, IReadOnlyList<string> words, IEnumerable<Name> candidates) =>
        candidates
            .Select(n => (n, score: Score(key, words, n.Key, n.Words)))
            .Where(x => x.score >= MinScore)
            .GroupBy(x => x.n.CompetitorId)
            .Select(g => g.OrderByDescending(x => x.score).First())
            .OrderByDescending(x => x.score).ThenBy(x => x.n.CompetitorName, StringComparer.OrdinalIgnoreCase)
            .Take(MaxSuggestions)
            .Select(x => new Suggestion(x.n.CompetitorId, x.n.CompetitorName, Math.Round(x.score, 3), x.n.Alias))
            .ToList();

    public static double Score(string key, IReadOnlyList<string> words, string otherKey, IReadOnlyList<string> otherWords)
    {
        if (key.Length == 0 || otherKey.Length == 0) return 0;
        if (key == otherKey) return 1;
        var edit = Similarity(key, otherKey);
        var tokens = WordOverlap(words, otherWords);
        var (shorter, longer) = key.Length <= otherKey.Length ? (key, otherKey) : (otherKey, key);
        var prefix = shorter.Length >= 3 && longer.StartsWith(shorter, StringComparison.Ordinal)
            ? 0.5 + 0.4 * shorter.Length / longer.Length : 0;
        var abbreviation = shorter.Length is >= 2 and <= 5 && longer.Length >= 2 * shorter.Length
            && shorter[0] == longer[0] && IsSubsequence(shorter, longer) ? 0.6 : 0;
        return Math.Max(Math.Max(edit, tokens), Math.Max(prefix, abbreviation));
    }

    /// <summary>1 − (optimal string alignment distance / longer length).</summary>
    public static double Similarity(string a, string b)
    {
        var max = Math.Max(a.Length, b.Length);
        return max == 0 ? 1 : 1 - (double)Distance(a, b) / max;
    }

    /// <summary>Half the Dice coefficient plus 0.45 × containment, over words that match with similarity ≥ 0.8
    /// (each matched word weighs its similarity, so one fuzzy word never beats the edit similarity of the whole key).</summary>
    private static double WordOverlap(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        var used = new bool[large.Count];
        var matched = 0.0;
        foreach (var word in small)
        {
            var best = -1;
            var bestSimilarity = 0.8;
            for (var j = 0; j < large.Count; j++)
            {
                if (used[j]) continue;
                var similarity = Similarity(word, large[j]);
                if (similarity >= bestSimilarity) (best, bestSimilarity) = (j, similarity);
            }
            if (best < 0) continue;
            used[best] = true;
            matched += bestSimilarity;
        }
        var dice = 2.0 * matched / (a.Count + b.Count);
        var containment = matched / small.Count;
        return 0.5 * dice + 0.45 * containment;
    }

    private static bool IsSubsequence(string shorter, string longer)
    {
        var i = 0;
        foreach (var ch in longer)
            if (i < shorter.Length && shorter[i] == ch) i++;
        return i == shorter.Length;
    }

    /// <summary>Levenshtein distance with adjacent transpositions (optimal string alignment).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var best = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) best = Math.Min(best, d[i - 2, j - 2] + 1);
                d[i, j] = best;
            }
        }
        return d[a.Length, b.Length];
    }
}
