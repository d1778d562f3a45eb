using System.Globalization;

namespace WinLoss.Api.Features.Trends;

/// <summary>
/// What the trends count, independent of where it is computed (<see cref="TrendFactsQuery"/> computes them on the read
/// side). A fact is (bucket, kind, k1, k2, k3) → counters c0..c8; bucket is the period label at the query's
/// granularity, or the group value when grouped by segment or stage.
/// <code>
/// kind            k1             k2           k3          counters
/// deal            lead_source    currency     ''          c0 deals, c1 won, c2 lost, c3 no_decision, c4 won cents,
///                                                          c5 lost cents, c6 no_decision cents, c7 lead quality sum, c8 rated deals
/// competitor      competitor     currency     'a' | 'p'   c0 deals, c1 won, c2 lost, c3 no_decision, c4 won cents, c5 lost cents
///                                                          ('a' each distinct competitor named, '' when none; 'p' the primary one)
/// objection       category       competitor   currency    c0 mentions, c1 deals, c2 overcome mentions, c3 cents at risk
///                                                          (lost + no_decision deals), c4 deals at risk
/// objection_reps  category       competitor   ''          c0 distinct reps
/// reason          category       outcome      competitor  c0 deals, c1 deals where it was a primary reason
/// message         message id     competitor   outcome     c0 uses (deals), c1 resonated, c2 neutral, c3 fell flat
/// collateral      collateral id  outcome      ''          c0 uses (deals)
/// </code>
/// Competitor keys: '' none named, '*' any, 'c&lt;id&gt;' a catalogue competitor, 'u&lt;normalized&gt;' an unmatched name.
/// Amounts are cents per currency ('' = no amount).
/// </summary>
public static class Kinds
{
    public const string Deal = "deal";
    public const string Competitor = "competitor";
    public const string Objection = "objection";
    public const string ObjectionReps = "objection_reps";
    public const string Reason = "reason";
    public const string Message = "message";
    public const string Collateral = "collateral";
    public const int Counters = 9;
}

/// <summary>Competitor keys used in facts: none named, any, a catalogue competitor, an unmatched name.</summary>
public static class CompetitorKey
{
    public const string None = "";
    public const string Any = "*";
    public static string Of(long? competitorId, string? normalized) =>
        competitorId is { } id ? "c" + id.ToString(CultureInfo.InvariantCulture)
        : string.IsNullOrEmpty(normalized) ? None : "u" + normalized;
}

/// <summary>Summed counters per (bucket, kind, k1, k2, k3).</summary>
public sealed class TrendData
{
    public Dictionary<(string Bucket, string Kind, string K1, string K2, string K3), long[]> Rows { get; } = new();

    public void Add(string bucket, string kind, string k1, string k2, string k3, long[] counters)
    {
        var key = (bucket, kind, k1, k2, k3);
        if (!Rows.TryGetValue(key, out var sum)) Rows[key] = sum = new long[Kinds.Counters];
        for (var i = 0; i < Kinds.Counters; i++) sum[i] += counters[i];
    }

    public void Merge(TrendData other)
    {
        foreach (var (key, counters) in other.Rows) Add(key.Bucket, key.Kind, key.K1, key.K2, key.K3, counters);
    }

    public IEnumerable<(string Bucket, string K1, string K2, string K3, long[] C)> Of(string kind) =>
        Rows.Where(r => r.Key.Kind == kind).Select(r => (r.Key.Bucket, r.Key.K1, r.Key.K2, r.Key.K3, r.Value));
}
