using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using WinLoss.Api.Features.Competitors;
using WinLoss.Api.Features.Reports;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>
/// The incrementally maintained read model equals a rebuild from the reports after any sequence of writes
/// (rows that dropped to zero stay until a rebuild and are invisible to queries, so they are left out of the comparison).
/// </summary>
public sealed class ReadModelRebuildTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly string[] Names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"];
    private static readonly string[] Outcomes = ["won", "lost", "no_decision"];
    private static readonly string[] Segments = ["smb", "mid_market", "enterprise"];
    private static readonly string[] Regions = ["EMEA", "emea", "NA", "APAC"];
    private static readonly string[] Objections = ["price", "integration", "security", "missing_feature"];
    private static readonly string[] Reasons = ["price", "timing", "status_quo", "product_gap"];

    [Fact]
    public async Task Random_files_amends_deletes_and_reattributions_leave_the_read_model_equal_to_a_rebuild()
    {
        var random = new Random(20261127);
        long acme, globex;
        using (var db = app.OpenDb())
        {
            acme = db.ExecuteScalar<long>("INSERT INTO competitors (name, created_at) VALUES ('Acme', '2026-01-01') RETURNING id");
            db.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES ('acme', 'Acme', @acme)", new { acme });
            globex = db.ExecuteScalar<long>("INSERT INTO competitors (name, created_at) VALUES ('Globex', '2026-01-01') RETURNING id");
            db.Execute("INSERT INTO competitor_aliases (normalized, alias, competitor_id) VALUES ('globex', 'Globex', @globex)", new { globex });
            db.Execute("INSERT INTO catalog_messages (id, title, active, created_at, updated_at) VALUES ('m1', 'M1', 1, '2026', '2026'), ('m2', 'M2', 1, '2026', '2026')");
            db.Execute("INSERT INTO catalog_collateral (id, title, active, created_at, updated_at) VALUES ('c1', 'C1', 1, '2026', '2026')");
        }
        var reps = Enumerable.Range(0, 4).Select(_ => app.SeedUser("rep")).ToList();
        var admin = app.Admin();
        var writer = app.Services.GetRequiredService<Writer>();
        var live = new List<long>();

        for (var step = 0; step < 120; step++)
        {
            var roll = random.Next(100);
            if (roll < 55 || live.Count < 5)
            {
                var (_, key) = reps[random.Next(reps.Count)];
                var response = await app.Client(key).PostReport(RandomReport(random, $"RB-{step}"));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                live.Add((await response.ReadJson())["id"]!.GetValue<long>());
            }
            else if (roll < 75)
            {
                var id = live[random.Next(live.Count)];
                var current = await admin.GetAsync($"/api/v1/reports/{id}");
                var dealId = (await current.ReadJson())["dealId"]!.GetValue<string>();
                var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}") { Content = Http.Json(RandomReport(random, dealId).ToJsonString()) };
                put.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.ToString());
                Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(put)).StatusCode);
            }
            else if (roll < 85)
            {
                var id = live[random.Next(live.Count)];
                Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/reports/{id}?reason=test")).StatusCode);
                live.Remove(id);
            }
            else
            {
                // Re-attribution as a merge does it: an unmatched name (or another competitor) now means Acme or Globex.
                var from = Names[random.Next(Names.Length)];
                var into = random.Next(2) == 0 ? acme : globex;
                await writer.ExecuteAsync((c, t) =>
                {
                    var normalized = CompetitorNames.Normalize(from);
                    var affected = c.Query<long>(
                        """
                        SELECT report_id FROM report_competitors WHERE normalized = @normalized
                        UNION SELECT report_id FROM report_objections WHERE competitor_normalized = @normalized
                        """, new { normalized }, t).ToList();
                    foreach (var id in affected) ReportEvents.Removing(c, t, id);
                    c.Execute("UPDATE report_competitors SET competitor_id = @into WHERE normalized = @normalized", new { into, normalized }, t);
                    c.Execute("UPDATE report_objections SET competitor_id = @into WHERE competitor_normalized = @normalized", new { into, normalized }, t);
                    foreach (var id in affected) ReportEvents.Written(c, t, id);
                });
            }
        }

        var incremental = Snapshot();
        Assert.NotEmpty(incremental);
        var rebuilt = await admin.PostAsync("/api/v1/admin/read-model/rebuild", null);
        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        Assert.Equal(live.Count, (await rebuilt.ReadJson())["reports"]!.GetValue<long>());
        var fromScratch = Snapshot();
        Assert.Equal(fromScratch.Count, incremental.Count);
        Assert.Equal(fromScratch, incremental);

        // Only admins rebuild.
        var (_, repKey) = reps[0];
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(repKey).PostAsync("/api/v1/admin/read-model/rebuild", null)).StatusCode);
    }

    private List<string> Snapshot()
    {
        using var db = app.OpenDb();
        return db.Query<string>(
            """
            SELECT kind || '|' || slice_id || '|' || grain || '|' || period || '|' || k1 || '|' || k2 || '|' || k3 || '|' ||
                   c0 || ',' || c1 || ',' || c2 || ',' || c3 || ',' || c4 || ',' || c5 || ',' || c6 || ',' || c7 || ',' || c8
            FROM trend_facts WHERE c0 <> 0 ORDER BY kind, slice_id, grain, period, k1, k2, k3
            """).ToList();
    }

    private static JsonObject RandomReport(Random random, string dealId)
    {
        var outcome = Outcomes[random.Next(Outcomes.Length)];
        var competitors = Names.OrderBy(_ => random.Next()).Take(random.Next(0, 3)).ToList();
        var primary = competitors.Count > 0 && random.Next(2) == 0 ? random.Next(competitors.Count) : -1;
        var body = new JsonObject
        {
            ["dealId"] = dealId,
            ["outcome"] = outcome,
            ["closedOn"] = new DateOnly(2025, 12, 1).AddDays(random.Next(120)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["segment"] = Segments[random.Next(Segments.Length)],
            ["region"] = Regions[random.Next(Regions.Length)],
            ["competitors"] = new JsonArray(competitors.Select((n, i) => (JsonNode)new JsonObject { ["name"] = n, ["primary"] = i == primary }).ToArray()),
            ["reasons"] = new JsonArray(Reasons.OrderBy(_ => random.Next()).Take(outcome == "won" ? random.Next(0, 2) : random.Next(1, 3))
                .Select((r, i) => (JsonNode)new JsonObject { ["category"] = r, ["primary"] = i == 0 }).ToArray()),
            ["objections"] = new JsonArray(Enumerable.Range(0, random.Next(0, 4)).Select(_ => (JsonNode)new JsonObject
            {
                ["category"] = Objections[random.Next(Objections.Length)],
                ["competitor"] = random.Next(3) == 0 ? Names[random.Next(Names.Length)] : null,
                ["overcome"] = random.Next(2) == 0,
            }).ToArray()),
            ["messages"] = new JsonArray(new[] { "m1", "m2" }.Where(_ => random.Next(2) == 0)
                .Select(m => (JsonNode)new JsonObject { ["messageId"] = m, ["resonance"] = new[] { "resonated", "neutral", "fell_flat" }[random.Next(3)] }).ToArray()),
            ["collateralUsed"] = random.Next(2) == 0 ? new JsonArray("c1") : new JsonArray(),
        };
        if (random.Next(4) > 0) { body["amount"] = random.Next(1, 100) * 1000; body["currency"] = random.Next(3) == 0 ? "EUR" : "USD"; }
        if (random.Next(2) == 0) { body["leadSource"] = random.Next(2) == 0 ? "webinar" : "referral"; body["leadQuality"] = random.Next(1, 6); }
        return body;
    }
}
