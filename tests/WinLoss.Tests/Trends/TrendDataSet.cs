using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Api.Features.Competitors;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>
/// A small hand-built data set, filed through the API, that every trend test works its numbers out from.
///
/// | #   | rep | outcome      | closedOn   | amount   | segment    | region | competitors (* primary) | reasons (* primary)   | objections (competitor named, +overcome) | messages       | collateral | lead          |
/// | R1  | A   | won          | 2026-01-10 | 1000 USD | smb        | EMEA   | Acme*                   | –                     | price(Acme)+                             | m1 resonated   | c1         | webinar, 4    |
/// | R2  | A   | lost         | 2026-01-20 | 2000 USD | smb        | EMEA   | Acme*, Globex           | price*                | price(Acme), price                       | m1 fell_flat   | –          | webinar, 2    |
/// | R3  | B   | no_decision  | 2026-01-25 | 500 EUR  | enterprise | NA     | –                       | status_quo*           | integration                              | –              | –          | referral      |
/// | R4  | B   | lost         | 2026-02-05 | 3000 USD | enterprise | EMEA   | Globex*                 | product_gap*, price   | price                                    | m1 neutral     | –          | –             |
/// | R5  | A   | won          | 2026-02-14 | 4000 USD | smb        | NA     | Initech (unmatched)     | –                     | –                                        | m1 resonated   | c1, c2     | –             |
/// | R6  | B   | won          | 2026-02-20 | –        | mid_market | EMEA   | Acme                    | –                     | price+                                   | –              | –          | –             |
/// | R7  | A   | lost         | 2026-02-10 | 9999 USD | smb        | EMEA   | Acme*                   | price*                | price(Acme)        — DELETED, never counts                                             |
/// | R8  | A   | won          | 2026-02-25 | 100 USD  | smb        | EMEA   | Globex*                 | –                     | –        — filed as lost to Acme, then AMENDED to this                              |
/// | R9  | A   | lost         | 2026-03-03 | 1000 USD | smb        | NA     | –                       | integration*          | integration                              | –              | –          | –             |
/// | R10 | A   | lost         | 2026-03-04 | –        | mid_market | NA     | –                       | integration*          | integration                              | –              | –          | –             |
/// | R11 | B   | won          | 2026-03-05 | –        | mid_market | NA     | –                       | –                     | integration+                             | –              | –          | –             |
/// Stage is "proposal" on every report; the catalogue has messages m1, m2 (never used) and collateral c1, c2, c3 (never used).
/// </summary>
public sealed record TrendDataSet(long AcmeId, long GlobexId, string RepKey, string MarketingKey)
{
    private static readonly ConditionalWeakTable<TestApp, Task<TrendDataSet>> Seeded = new();

    public static Task<TrendDataSet> For(TestApp app) => Seeded.GetValue(app, a => Seed(a));

    private static async Task<TrendDataSet> Seed(TestApp app)
    {
        long acme, globex;
        using (var db = app.OpenDb())
        {
            acme = AddCompetitor(db, "Acme");
            globex = AddCompetitor(db, "Globex");
            const string now = "2026-01-01T00:00:00Z";
            foreach (var id in new[] { "m1", "m2" })
                db.Execute("INSERT INTO catalog_messages (id, title, active, created_at, updated_at) VALUES (@id, @id, 1, @now, @now)", new { id, now });
            foreach (var id in new[] { "c1", "c2", "c3" })
                db.Execute("INSERT INTO catalog_collateral (id, title, active, created_at, updated_at) VALUES (@id, @id, 1, @now, @now)", new { id, now });
        }
        var (_, repA) = app.SeedUser("rep");
        var (_, repB) = app.SeedUser("rep");
        var (_, marketing) = app.SeedUser("marketing");
        var a = app.Client(repA);
        var b = app.Client(repB);

        await File(a, "R1", "won", "2026-01-10", 1000, "USD", "smb", "EMEA", [("Acme", true)], [], [("price", "Acme", true)], [("m1", "resonated")], ["c1"], "webinar", 4);
        await File(a, "R2", "lost", "2026-01-20", 2000, "USD", "smb", "EMEA", [("Acme", true), ("Globex", false)], [("price", true)],
            [("price", "Acme", false), ("price", null, false)], [("m1", "fell_flat")], [], "webinar", 2);
        await File(b, "R3", "no_decision", "2026-01-25", 500, "EUR", "enterprise", "NA", [], [("status_quo", true)], [("integration", null, false)], [], [], "referral", null);
        await File(b, "R4", "lost", "2026-02-05", 3000, "USD", "enterprise", "EMEA", [("Globex", true)], [("product_gap", true), ("price", false)],
            [("price", null, false)], [("m1", "neutral")], [], null, null);
        await File(a, "R5", "won", "2026-02-14", 4000, "USD", "smb", "NA", [("Initech", false)], [], [], [("m1", "resonated")], ["c1", "c2"], null, null);
        await File(b, "R6", "won", "2026-02-20", null, null, "mid_market", "EMEA", [("Acme", false)], [], [("price", null, true)], [], [], null, null);
        var r7 = await File(a, "R7", "lost", "2026-02-10", 9999, "USD", "smb", "EMEA", [("Acme", true)], [("price", true)], [("price", "Acme", false)], [], [], null, null);
        var r8 = await File(a, "R8", "lost", "2026-02-25", 100, "USD", "smb", "EMEA", [("Acme", true)], [("price", true)], [], [], [], null, null);
        await File(a, "R9", "lost", "2026-03-03", 1000, "USD", "smb", "NA", [], [("integration", true)], [("integration", null, false)], [], [], null, null);
        await File(a, "R10", "lost", "2026-03-04", null, null, "mid_market", "NA", [], [("integration", true)], [("integration", null, false)], [], [], null, null);
        await File(b, "R11", "won", "2026-03-05", null, null, "mid_market", "NA", [], [], [("integration", null, true)], [], [], null, null);

        var admin = app.Admin();
        var deleted = await admin.DeleteAsync($"/api/v1/reports/{r7}?reason=duplicate");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        var current = await admin.GetAsync($"/api/v1/reports/{r8}");
        var amend = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{r8}")
        {
            Content = Http.Json(Body("R8", "won", "2026-02-25", 100, "USD", "smb", "EMEA", [("Globex", true)], [], [], [], [], null, null).ToJsonString()),
        };
        amend.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.ToString());
        var amended = await admin.SendAsync(amend);
        Assert.Equal(HttpStatusCode.OK, amended.StatusCode);
        return new TrendDataSet(acme, globex, repA, marketing);
    }

    private static long AddCompetitor(System.Data.IDbConnection db, string name)
    {
        var id = db.ExecuteScalar<long>("INSERT INTO competitors (name, created_at) VALUES (@name, '2026-01-01T00:00:00Z') RETURNING id", new { name });
        db.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES (@n, @name, @id)", new { n = CompetitorNames.Normalize(name), name, id });
        return id;
    }

    private static JsonObject Body(string deal, string outcome, string closedOn, decimal? amount, string? currency, string segment, string region,
        (string Name, bool Primary)[] competitors, (string Category, bool Primary)[] reasons, (string Category, string? Competitor, bool Overcome)[] objections,
        (string Id, string Resonance)[] messages, string[] collateral, string? leadSource, int? leadQuality)
    {
        var body = new JsonObject
        {
            ["dealId"] = deal, ["outcome"] = outcome, ["closedOn"] = closedOn, ["segment"] = segment, ["region"] = region, ["stageReached"] = "proposal",
            ["competitors"] = new JsonArray(competitors.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["primary"] = c.Primary }).ToArray()),
            ["reasons"] = new JsonArray(reasons.Select(r => (JsonNode)new JsonObject { ["category"] = r.Category, ["primary"] = r.Primary }).ToArray()),
            ["objections"] = new JsonArray(objections.Select(o => (JsonNode)new JsonObject { ["category"] = o.Category, ["competitor"] = o.Competitor, ["overcome"] = o.Overcome }).ToArray()),
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["messageId"] = m.Id, ["resonance"] = m.Resonance }).ToArray()),
            ["collateralUsed"] = new JsonArray(collateral.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
        };
        if (amount is not null) { body["amount"] = amount; body["currency"] = currency; }
        if (leadSource is not null) body["leadSource"] = leadSource;
        if (leadQuality is not null) body["leadQuality"] = leadQuality;
        return body;
    }

    private static async Task<long> File(HttpClient client, string deal, string outcome, string closedOn, decimal? amount, string? currency, string segment, string region,
        (string, bool)[] competitors, (string, bool)[] reasons, (string, string?, bool)[] objections, (string, string)[] messages, string[] collateral,
        string? leadSource, int? leadQuality)
    {
        var response = await client.PostReport(Body(deal, outcome, closedOn, amount, currency, segment, region, competitors, reasons, objections, messages, collateral, leadSource, leadQuality));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!["id"]!.GetValue<long>();
    }
}

public static class TrendJson
{
    public static JsonObject Row(this JsonNode body, string array, Func<JsonNode, bool> match) =>
        body[array]!.AsArray().Single(r => match(r!))!.AsObject();

    public static string? CompetitorName(this JsonNode row) => row["competitor"]?["name"]?.GetValue<string>();

    public static void AssertRate(JsonNode? rate, double? value, long n, double? low, double? high, bool lowSample)
    {
        Assert.NotNull(rate);
        if (value is null) Assert.Null(rate["value"]); else Assert.Equal(value.Value, rate["value"]!.GetValue<double>(), 0.00011);
        Assert.Equal(n, rate["n"]!.GetValue<long>());
        if (low is null) Assert.Null(rate["ci95"]);
        else
        {
            Assert.Equal(low.Value, rate["ci95"]![0]!.GetValue<double>(), 0.00011);
            Assert.Equal(high!.Value, rate["ci95"]![1]!.GetValue<double>(), 0.00011);
        }
        Assert.Equal(lowSample, rate["lowSample"]!.GetValue<bool>());
    }

    public static decimal? Money(this JsonNode row, string field, string currency) => row[field]?[currency]?.GetValue<decimal>();
}
