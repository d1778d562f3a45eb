namespace WinLoss.Api.Features.Reports;

/// <summary>
/// The report filter as sent in a query string (trends, the report list, exports): each value validated once, by the
/// same rules and with the same 400 naming the query parameter wherever it is accepted. Null means not sent.
/// </summary>
public sealed record ReportFilterValues(
    string? From = null, string? To = null, string? Segment = null, string? Region = null, string? Product = null,
    string? Industry = null, string? Stage = null, string? Outcome = null);

/// <summary>Rules of <see cref="ReportFilterValues"/>.</summary>
public static class ReportFilterRules
{
    /// <summary>Earliest and latest day a filter may name: the periods before and after them must exist on the calendar.</summary>
    public static readonly DateOnly MinDate = new(1900, 1, 1), MaxDate = new(2999, 12, 31);

    /// <summary>Reports a failure (parameter, message) for each bad value.</summary>
    public static void Check(ReportFilterValues v, Action<string, string> fail)
    {
        var fromOk = Date(v.From, "from", fail, out var from);
        var toOk = Date(v.To, "to", fail, out var to);
        if (fromOk && toOk && from is not null && to is not null && from > to) fail("to", "to must not be before from.");
        if (v.Segment is not null && !ReportRules.Segments.Contains(v.Segment)) fail("segment", "segment must be one of: smb, mid_market, enterprise.");
        if (v.Stage is not null && !ReportRules.Stages.Contains(v.Stage))
            fail("stage", "stage must be one of: qualification, discovery, demo, proposal, negotiation, closing.");
        if (v.Outcome is not null && !ReportRules.Outcomes.Contains(v.Outcome)) fail("outcome", "outcome must be one of: won, lost, no_decision.");
        foreach (var (name, value) in new[] { ("region", v.Region), ("product", v.Product), ("industry", v.Industry) })
            if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Trim().Length > 100 || !ReportRules.IsSingleLine(value)))
                fail(name, $"{name} must be 1 to 100 characters of text.");
    }

    private static bool Date(string? value, string name, Action<string, string> fail, out DateOnly? date)
    {
        date = null;
        if (value is null) return true;
        if (!ReportRules.TryParseDate(value, out var d))
        {
            fail(name, $"{name} must be a date YYYY-MM-DD.");
            return false;
        }
        if (d < MinDate || d > MaxDate)
        {
            fail(name, $"{name} must be between {MinDate:yyyy-MM-dd} and {MaxDate:yyyy-MM-dd}.");
            return false;
        }
        date = d;
        return true;
    }
}
