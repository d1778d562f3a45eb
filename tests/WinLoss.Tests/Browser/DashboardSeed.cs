using System.Net;
using System.Text.Json.Nodes;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Browser;

/// <summary>
/// A small, fully known data set for the dashboard tests, filed through the HTTP API of a running service.
/// Two months (September and October 2026), two named competitors and deals naming none:
///
/// | month | competitor | segment    | won | lost | no decision | objections                      |
/// | ----- | ---------- | ---------- | --- | ---- | ----------- | ------------------------------- |
/// | Sep   | Acme       | enterprise | 3   | 2    | 0           | integration ×2 (the 2 lost)     |
/// | Sep   | Acme       | smb        | 3   | 2    | 0           | price ×2 (the 2 lost)           |
/// | Sep   | none       | smb        | 5   | 3    | 2           |                                 |
/// | Oct   | Acme       | enterprise | 2   | 9    | 1           | integration on all 12           |
/// | Oct   | Acme       | smb        | 7   | 9    | 2           | integration on 8 of the lost    |
/// | Oct   | Globex     | smb        | 7   | 3    | 0           | price on the 3 lost             |
///
/// Hand-computed figures the tests compare with (Wilson, z = 1.96):
/// Acme October win rate 9/27 = 33.3% [18.6%, 52.2%]; Acme over both months 15/37 = 40.5% [26.3%, 56.5%];
/// Globex 7/10 = 70.0%, low sample (n = 10 &lt; 20). Integration objections: 2 of 20 deals in September (10.0%),
/// 20 of 40 in October (50.0%): pooled z = 3.03 ≥ 1.645, rising.
/// </summary>
public static class DashboardSeed
{
    public const string From = "2026-09-01";
    public const string To = "2026-10-31";

    public static async Task FileAsync(HttpClient admin)
    {
        var n = 0;
        async Task File(string month, string? competitor, string segment, string outcome, string? objection, string leadSource)
        {
            n++;
            var body = Http.Report($"DASH-{n:D3}", r =>
            {
                r["outcome"] = outcome;
                r["closedOn"] = month == "Sep" ? $"2026-09-{1 + n % 28:D2}" : $"2026-10-{1 + n % 28:D2}";
                r["segment"] = segment;
                r["stageReached"] = outcome == "no_decision" ? "discovery" : "proposal";
                r["region"] = "EMEA";
                r["leadSource"] = leadSource;
                r["competitors"] = competitor is null
                    ? new JsonArray()
                    : new JsonArray(new JsonObject { ["name"] = competitor, ["primary"] = true });
                r["reasons"] = outcome == "won"
                    ? new JsonArray()
                    : new JsonArray(new JsonObject { ["category"] = outcome == "lost" ? "price" : "status_quo", ["primary"] = true });
                r["objections"] = objection is null
                    ? new JsonArray()
                    : new JsonArray(new JsonObject { ["category"] = objection, ["overcome"] = false });
            });
            var response = await admin.PostReport(body);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        async Task Many(int count, string month, string? competitor, string segment, string outcome, string? objection, string lead = "Partner")
        {
            for (var i = 0; i < count; i++) await File(month, competitor, segment, outcome, objection, lead);
        }

        // September: 20 deals.
        await Many(3, "Sep", "Acme", "enterprise", "won", null);
        await Many(2, "Sep", "Acme", "enterprise", "lost", "integration");
        await Many(3, "Sep", "Acme", "smb", "won", null);
        await Many(2, "Sep", "Acme", "smb", "lost", "price");
        await Many(5, "Sep", null, "smb", "won", null, "Web");
        await Many(3, "Sep", null, "smb", "lost", null, "Web");
        await Many(2, "Sep", null, "smb", "no_decision", null, "Web");
        // October: 40 deals.
        await Many(2, "Oct", "Acme", "enterprise", "won", "integration");
        await Many(9, "Oct", "Acme", "enterprise", "lost", "integration");
        await Many(1, "Oct", "Acme", "enterprise", "no_decision", "integration");
        await Many(7, "Oct", "Acme", "smb", "won", null);
        await Many(8, "Oct", "Acme", "smb", "lost", "integration");
        await Many(1, "Oct", "Acme", "smb", "lost", null);
        await Many(2, "Oct", "Acme", "smb", "no_decision", null);
        await Many(7, "Oct", "Globex", "smb", "won", null, "Web");
        await Many(3, "Oct", "Globex", "smb", "lost", "price", "Web");

        // Outside the two months: one August deal against a misspelt name that matches no competitor (triage list).
        var misspelt = Http.Report("DASH-AUG", r =>
        {
            r["closedOn"] = "2026-08-14";
            r["competitors"] = new JsonArray(new JsonObject { ["name"] = UnmatchedName, ["primary"] = true });
            r["objections"] = new JsonArray();
        });
        var response = await admin.PostReport(misspelt);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public const string UnmatchedName = "Globbex";
}
