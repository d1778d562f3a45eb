using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;

namespace WinLoss.Tests.Trends;

/// <summary>
/// An independent oracle for the trend endpoints: reads the live reports straight from the write store (SQLite) and
/// counts what each trend should show with plain LINQ — no code of the service's read side involved.
/// </summary>
public sealed class BruteForce
{
    public sealed record Report(long Id, long RepId, string Outcome, DateOnly ClosedOn, string? Segment, string? Stage, string? Region,
        string? Product, string? Industry, long? AmountCents, string? Currency,
        string? LeadSource, List<(string Key, bool Primary)> Competitors, List<(string Category, bool Primary)> Reasons,
        List<(string Category, string Key, bool Overcome)> Objections, List<(string Id, string Resonance)> Messages, List<string> Collateral);

    public sealed record Filter(DateOnly? From, DateOnly? To, string? Segment, string? Region, string? Stage, string Granularity,
        string? Product = null, string? Industry = null)
    {
        public string Query()
        {
            var parts = new List<string> { "granularity=" + Granularity };
            if (From is { } f) parts.Add("from=" + f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            if (To is { } t) parts.Add("to=" + t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            if (Segment is not null) parts.Add("segment=" + Segment);
            if (Region is not null) parts.Add("region=" + Uri.EscapeDataString(Region));
            if (Stage is not null) parts.Add("stage=" + Stage);
            if (Product is not null) parts.Add("product=" + Uri.EscapeDataString(Product));
            if (Industry is not null) parts.Add("industry=" + Uri.EscapeDataString(Industry));
            return string.Join("&", parts);
        }
    }

    public List<Report> Reports { get; }

    private BruteForce(List<Report> reports) => Reports = reports;

    private static string Key(long? id, string? normalized) =>
        id is { } v ? "c" + v.ToString(CultureInfo.InvariantCulture) : string.IsNullOrEmpty(normalized) ? "" : "u" + normalized;

    public static BruteForce Load(System.Data.Common.DbConnection db)
    {
        var reports = db.Query<(long Id, long RepId, string Outcome, string ClosedOn, string? Segment, string? Stage, string? Region,
                string? Product, string? Industry, long? AmountCents, string? Currency, string? LeadSource)>(
            "SELECT id, rep_id, outcome, closed_on, segment, stage_reached, region, product, industry, amount_cents, currency, lead_source FROM reports WHERE deleted_at IS NULL")
            .Select(r => new Report(r.Id, r.RepId, r.Outcome, DateOnly.ParseExact(r.ClosedOn, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                r.Segment, r.Stage, r.Region, r.Product, r.Industry, r.AmountCents, r.Currency, r.LeadSource, [], [], [], [], []))
            .ToDictionary(r => r.Id);
        foreach (var c in db.Query<(long ReportId, long? CompetitorId, string Normalized, long Primary)>(
                     "SELECT report_id, competitor_id, normalized, is_primary FROM report_competitors ORDER BY report_id, position"))
            if (reports.TryGetValue(c.ReportId, out var r)) r.Competitors.Add((Key(c.CompetitorId, c.Normalized), c.Primary != 0));
        foreach (var x in db.Query<(long ReportId, string Category, long Primary)>("SELECT report_id, category, is_primary FROM report_reasons ORDER BY report_id, position"))
            if (reports.TryGetValue(x.ReportId, out var r)) r.Reasons.Add((x.Category, x.Primary != 0));
        foreach (var x in db.Query<(long ReportId, string Category, long? CompetitorId, string? Normalized, long Overcome)>(
                     "SELECT report_id, category, competitor_id, competitor_normalized, overcome FROM report_objections ORDER BY report_id, position"))
            if (reports.TryGetValue(x.ReportId, out var r)) r.Objections.Add((x.Category, Key(x.CompetitorId, x.Normalized), x.Overcome != 0));
        foreach (var x in db.Query<(long ReportId, string MessageId, string Resonance)>("SELECT report_id, message_id, resonance FROM report_messages ORDER BY report_id, position"))
            if (reports.TryGetValue(x.ReportId, out var r)) r.Messages.Add((x.MessageId, x.Resonance));
        foreach (var x in db.Query<(long ReportId, string Id)>("SELECT report_id, collateral_id FROM report_collateral ORDER BY report_id, position"))
            if (reports.TryGetValue(x.ReportId, out var r)) r.Collateral.Add(x.Id);
        return new BruteForce([.. reports.Values]);
    }

    public IEnumerable<Report> Matching(Filter f) => Reports.Where(r =>
        (f.From is null || r.ClosedOn >= f.From) && (f.To is null || r.ClosedOn <= f.To)
        && (f.Segment is null || r.Segment == f.Segment) && (f.Stage is null || r.Stage == f.Stage)
        && (f.Region is null || string.Equals(r.Region, f.Region, StringComparison.OrdinalIgnoreCase))
        && (f.Product is null || string.Equals(r.Product, f.Product, StringComparison.OrdinalIgnoreCase))
        && (f.Industry is null || string.Equals(r.Industry, f.Industry, StringComparison.OrdinalIgnoreCase)));

    public static string Period(DateOnly d, string granularity) => granularity switch
    {
        "week" => $"{ISOWeek.GetYear(d.ToDateTime(TimeOnly.MinValue)):D4}-W{ISOWeek.GetWeekOfYear(d.ToDateTime(TimeOnly.MinValue)):D2}",
        "month" => $"{d.Year:D4}-{d.Month:D2}",
        _ => $"{d.Year:D4}-Q{(d.Month - 1) / 3 + 1}",
    };

    /// <summary>The distinct competitor keys a deal names ("" when none).</summary>
    public static List<string> DealCompetitors(Report r)
    {
        var keys = r.Competitors.Select(c => c.Key).Where(k => k.Length > 0).Distinct().ToList();
        return keys.Count == 0 ? [""] : keys;
    }

    public static string PrimaryCompetitor(Report r) => r.Competitors.FirstOrDefault(c => c.Primary && c.Key.Length > 0).Key ?? "";

    /// <summary>The key of a competitor object in an answer ("c&lt;id&gt;", "u&lt;normalized name&gt;", "" for null).</summary>
    public static string KeyOf(JsonNode? competitor) =>
        competitor is null ? ""
        : competitor["matched"]!.GetValue<bool>() ? "c" + competitor["id"]!.GetValue<long>()
        : "u" + WinLoss.Api.Features.Competitors.CompetitorNames.Normalize(competitor["name"]!.GetValue<string>());

    /// <summary>(period, competitor key) → (deals, won, lost, no decision), for every competitor or the primary one only.</summary>
    public Dictionary<(string Period, string Key), (long Deals, long Won, long Lost, long Nd)> CompetitorTrend(Filter f, bool primaryOnly)
    {
        var result = new Dictionary<(string, string), (long, long, long, long)>();
        foreach (var r in Matching(f))
            foreach (var key in primaryOnly ? [PrimaryCompetitor(r)] : DealCompetitors(r))
            {
                var k = (Period(r.ClosedOn, f.Granularity), key);
                var (d, w, l, n) = result.GetValueOrDefault(k);
                result[k] = (d + 1, w + (r.Outcome == "won" ? 1 : 0), l + (r.Outcome == "lost" ? 1 : 0), n + (r.Outcome == "no_decision" ? 1 : 0));
            }
        return result;
    }

    /// <summary>
    /// (period, competitor key) → revenue won and lost as "CUR amount" per currency, ordered ("EUR 5000.00|USD 1200.50"), every
    /// competitor a deal names; amounts without a currency are not money.
    /// </summary>
    public Dictionary<(string Period, string Key), (string Won, string Lost)> CompetitorRevenue(Filter f)
    {
        static string Text(IEnumerable<Report> deals) => string.Join("|", deals.Where(r => r.AmountCents is > 0 && !string.IsNullOrEmpty(r.Currency))
            .GroupBy(r => r.Currency!).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key + " " + (g.Sum(r => r.AmountCents!.Value) / 100m).ToString("0.00", CultureInfo.InvariantCulture)));
        return Matching(f).SelectMany(r => DealCompetitors(r).Select(k => (Key: (Period(r.ClosedOn, f.Granularity), k), Report: r)))
            .GroupBy(x => x.Key)
            .ToDictionary(g => g.Key, g => (Text(g.Select(x => x.Report).Where(r => r.Outcome == "won")), Text(g.Select(x => x.Report).Where(r => r.Outcome == "lost"))));
    }

    /// <summary>(period, category) → (mentions, deals, reps, all deals of the period) for objections naming <paramref name="key"/> (null: any).</summary>
    public Dictionary<(string Period, string Category), (long Mentions, long Deals, long Reps, long AllDeals)> ObjectionTrend(Filter f, string? key)
    {
        var reports = Matching(f).ToList();
        var all = reports.GroupBy(r => Period(r.ClosedOn, f.Granularity)).ToDictionary(g => g.Key, g => (long)g.Count());
        var rows = reports.SelectMany(r => r.Objections.Where(o => key is null || o.Key == key).Select(o => (Report: r, o.Category)))
            .GroupBy(x => (Period(x.Report.ClosedOn, f.Granularity), x.Category));
        return rows.ToDictionary(g => g.Key, g => ((long)g.Count(), (long)g.Select(x => x.Report.Id).Distinct().Count(),
            (long)g.Select(x => x.Report.RepId).Distinct().Count(), all[g.Key.Item1]));
    }

    /// <summary>Lost deals: (competitor key, category) → (deals with the reason, lost deals naming the competitor).</summary>
    public Dictionary<(string Key, string Category), (long Deals, long N)> ReasonsByCompetitor(Filter f)
    {
        var lost = Matching(f).Where(r => r.Outcome == "lost").ToList();
        var totals = lost.SelectMany(DealCompetitors).GroupBy(k => k).ToDictionary(g => g.Key, g => (long)g.Count());
        return lost.SelectMany(r => r.Reasons.Select(x => x.Category).Distinct().SelectMany(c => DealCompetitors(r).Select(k => (k, c))))
            .GroupBy(x => x).ToDictionary(g => g.Key, g => ((long)g.Count(), totals[g.Key.k]));
    }

    /// <summary>Lost deals: (segment, category) → (deals with the reason, lost deals of the segment).</summary>
    public Dictionary<(string Segment, string Category), (long Deals, long N)> ReasonsBySegment(Filter f)
    {
        var lost = Matching(f).Where(r => r.Outcome == "lost" && r.Segment is not null).ToList();
        var totals = lost.GroupBy(r => r.Segment!).ToDictionary(g => g.Key, g => (long)g.Count());
        return lost.SelectMany(r => r.Reasons.Select(x => x.Category).Distinct().Select(c => (r.Segment!, c)))
            .GroupBy(x => x).ToDictionary(g => g.Key, g => ((long)g.Count(), totals[g.Key.Item1]));
    }

    /// <summary>Message id → (uses, resonated, won deals using it, lost deals using it), over all matching deals.</summary>
    public Dictionary<string, (long Uses, long Resonated, long Won, long Lost)> Messages(Filter f) =>
        Matching(f).SelectMany(r => r.Messages.DistinctBy(m => m.Id).Select(m => (r.Outcome, m.Id, m.Resonance)))
            .GroupBy(x => x.Id)
            .ToDictionary(g => g.Key, g => ((long)g.Count(), (long)g.Count(x => x.Resonance == "resonated"),
                (long)g.Count(x => x.Outcome == "won"), (long)g.Count(x => x.Outcome == "lost")));

    /// <summary>(segment, message id) → (uses, resonated), over matching deals with a segment.</summary>
    public Dictionary<(string Segment, string Id), (long Uses, long Resonated)> MessagesBySegment(Filter f) =>
        Matching(f).Where(r => r.Segment is not null).SelectMany(r => r.Messages.DistinctBy(m => m.Id).Select(m => (r.Segment, m.Id, m.Resonance)))
            .GroupBy(x => (x.Segment!, x.Id))
            .ToDictionary(g => g.Key, g => ((long)g.Count(), (long)g.Count(x => x.Resonance == "resonated")));

    /// <summary>Lead source ("" none) → (deals, won).</summary>
    public Dictionary<string, (long Deals, long Won)> LeadSources(Filter f) =>
        Matching(f).GroupBy(r => r.LeadSource ?? "").ToDictionary(g => g.Key, g => ((long)g.Count(), (long)g.Count(r => r.Outcome == "won")));

    /// <summary>Collateral id → deals using it.</summary>
    public Dictionary<string, long> Collateral(Filter f) =>
        Matching(f).SelectMany(r => r.Collateral.Distinct()).GroupBy(x => x).ToDictionary(g => g.Key, g => (long)g.Count());
}
