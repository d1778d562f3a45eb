using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

/// <summary>
/// Property test of the read side: after random filings, amendments, deletions and re-attributions (aliases and
/// merges through the API), every trend answer for random filter combinations equals a brute-force count over the
/// report tables (<see cref="BruteForce"/>), and a rebuild of the projection changes no answer.
/// </summary>
public sealed class ReadSidePropertyTests(TestApp app) : IClassFixture<TestApp>
{
    private static readonly string[] Names = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"];
    private static readonly string[] Outcomes = ["won", "lost", "no_decision"];
    private static readonly string[] Segments = ["smb", "mid_market", "enterprise"];
    private static readonly string[] Regions = ["EMEA", "emea", "NA", "APAC"];
    private static readonly string[] Stages = ["discovery", "demo", "proposal"];
    private static readonly string[] Objections = ["price", "integration", "security", "missing_feature"];
    private static readonly string[] Reasons = ["price", "timing", "status_quo", "product_gap"];
    private static readonly string[] Granularities = ["week", "month", "quarter"];
    private static readonly string[] Products = ["Platform", "Analytics", "analytics "];
    private static readonly string[] Industries = ["Finance", "Retail", "RETAIL"];

    [Fact]
    public async Task Random_writes_then_random_filters_answer_what_a_brute_force_count_over_the_reports_says()
    {
        var random = new Random(20261130);
        using (var db = app.OpenDb())
        {
            db.Execute("INSERT INTO catalog_messages (id, title, active, created_at, updated_at) VALUES ('m1', 'M1', 1, '2026', '2026'), ('m2', 'M2', 1, '2026', '2026')");
            db.Execute("INSERT INTO catalog_collateral (id, title, active, created_at, updated_at) VALUES ('c1', 'C1', 1, '2026', '2026')");
        }
        var admin = app.Admin();
        var acme = (await (await admin.PostAsync("/api/v1/competitors", Http.Json(new { name = "Acme" }))).ReadJson())["id"]!.GetValue<long>();
        var globex = (await (await admin.PostAsync("/api/v1/competitors", Http.Json(new { name = "Globex" }))).ReadJson())["id"]!.GetValue<long>();
        var spare = new List<long>();
        var reps = Enumerable.Range(0, 4).Select(_ => app.SeedUser("rep")).ToList();
        var live = new List<long>();

        for (var step = 0; step < 150; step++)
        {
            var roll = random.Next(100);
            if (roll < 55 || live.Count < 5)
            {
                var (_, key) = reps[random.Next(reps.Count)];
                // Two names of one report may have become the same competitor (alias, merge): that report is a 400; draw another.
                var response = await app.Client(key).PostReport(RandomReport(random, $"RB-{step}"));
                for (var attempt = 0; response.StatusCode == HttpStatusCode.BadRequest && attempt < 20; attempt++)
                    response = await app.Client(key).PostReport(RandomReport(random, $"RB-{step}"));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                live.Add((await response.ReadJson())["id"]!.GetValue<long>());
            }
            else if (roll < 72)
            {
                var id = live[random.Next(live.Count)];
                var current = await admin.GetAsync($"/api/v1/reports/{id}");
                var dealId = (await current.ReadJson())["dealId"]!.GetValue<string>();
                var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/reports/{id}") { Content = Http.Json(RandomReport(random, dealId).ToJsonString()) };
                put.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.ToString());
                var amended = await admin.SendAsync(put);
                Assert.True(amended.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"amend: {(int)amended.StatusCode}");
            }
            else if (roll < 82)
            {
                var id = live[random.Next(live.Count)];
                Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/reports/{id}?reason=test")).StatusCode);
                live.Remove(id);
            }
            else if (roll < 90)
            {
                // An alias: reports that named this (unmatched) name now count under Acme or Globex.
                var name = Names[random.Next(2, Names.Length)] + (random.Next(2) == 0 ? "" : " Inc");
                var into = random.Next(2) == 0 ? acme : globex;
                var alias = await admin.PostAsync($"/api/v1/competitors/{into}/aliases", Http.Json(new { alias = name }));
                Assert.True(alias.IsSuccessStatusCode || alias.StatusCode == HttpStatusCode.Conflict, $"alias: {(int)alias.StatusCode}");
            }
            else
            {
                // A competitor made from a name reps typed takes over their reports; a later step merges it into Acme or Globex.
                if (spare.Count > 0)
                {
                    var id = spare[^1];
                    spare.RemoveAt(spare.Count - 1);
                    var merge = await admin.PostAsync($"/api/v1/competitors/{id}/merge", Http.Json(new { intoId = random.Next(2) == 0 ? acme : globex }));
                    Assert.Equal(HttpStatusCode.OK, merge.StatusCode);
                }
                else
                {
                    var created = await admin.PostAsync("/api/v1/competitors", Http.Json(new { name = Names[random.Next(2, Names.Length)] }));
                    Assert.True(created.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"create: {(int)created.StatusCode}");
                    if (created.StatusCode == HttpStatusCode.Created) spare.Add((await created.ReadJson())["id"]!.GetValue<long>());
                }
            }
        }

        var filters = Enumerable.Range(0, 24).Select(_ => RandomFilter(random)).ToList();
        var before = new List<string>();
        BruteForce oracle;
        using (var db = app.OpenDb()) oracle = BruteForce.Load(db);
        Assert.Equal(live.Order().ToList(), oracle.Reports.Select(r => r.Id).Order().ToList());
        foreach (var f in filters) before.Add(await CheckAsync(oracle, f, acme));

        var rebuilt = await admin.PostAsync("/api/v1/admin/read-model/rebuild", null);
        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        Assert.Equal(live.Count, (await rebuilt.ReadJson())["reports"]!.GetValue<long>());
        for (var i = 0; i < filters.Count; i++) Assert.Equal(before[i], await CheckAsync(oracle, filters[i], acme));

        // Only admins rebuild.
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(reps[0].Key).PostAsync("/api/v1/admin/read-model/rebuild", null)).StatusCode);
    }

    /// <summary>Checks every trend for one filter against the oracle; returns the answers' bodies (without asOf) to compare after a rebuild.</summary>
    private async Task<string> CheckAsync(BruteForce oracle, BruteForce.Filter f, long acme)
    {
        var client = app.Admin();
        var q = f.Query();
        var bodies = new List<string>();
        async Task<JsonNode> Get(string path)
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var body = (await response.ReadJson()).AsObject();
            body.Remove("asOf");
            bodies.Add(body.ToJsonString());
            return body;
        }

        foreach (var primaryOnly in new[] { false, true })
        {
            var expected = oracle.CompetitorTrend(f, primaryOnly);
            var rows = (await Get($"/api/v1/trends/competitors?{q}&primaryOnly={(primaryOnly ? "true" : "false")}"))["rows"]!.AsArray();
            var actual = rows.ToDictionary(r => (r!["period"]!.GetValue<string>(), BruteForce.KeyOf(r["competitor"])),
                r => (r!["deals"]!.GetValue<long>(), r["won"]!.GetValue<long>(), r["lost"]!.GetValue<long>(), r["noDecision"]!.GetValue<long>()));
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
            if (!primaryOnly)
            {
                static string Money(JsonNode? money) => string.Join("|", money!.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => kv.Key + " " + kv.Value!.GetValue<decimal>().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));
                var revenue = rows.ToDictionary(r => (r!["period"]!.GetValue<string>(), BruteForce.KeyOf(r["competitor"])),
                    r => (Money(r!["revenueWon"]), Money(r["revenueLost"])));
                Assert.Equal(oracle.CompetitorRevenue(f).OrderBy(x => x.Key).ToList(), revenue.OrderBy(x => x.Key).ToList());
            }
        }

        foreach (var (param, key) in new[] { ("", (string?)null), ($"&competitor={acme}", "c" + acme) })
        {
            var expected = oracle.ObjectionTrend(f, key);
            var rows = (await Get($"/api/v1/trends/objections?{q}{param}"))["rows"]!.AsArray();
            var actual = rows.ToDictionary(r => (r!["period"]!.GetValue<string>(), r["category"]!.GetValue<string>()),
                r => (r!["mentions"]!.GetValue<long>(), r["deals"]!.GetValue<long>(), r["reps"]!.GetValue<long>(), r["allDeals"]!.GetValue<long>()));
            // The answer lists periods from the first one of the range; the oracle counts inside the range only.
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }

        {
            var expected = oracle.ReasonsByCompetitor(f);
            var rows = (await Get($"/api/v1/trends/reasons?{q}&by=competitor"))["rows"]!.AsArray();
            var actual = rows.ToDictionary(r => (BruteForce.KeyOf(r!["competitor"]), r["category"]!.GetValue<string>()),
                r => (r!["deals"]!.GetValue<long>(), r["share"]!["n"]!.GetValue<long>()));
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }
        {
            var expected = oracle.ReasonsBySegment(f);
            var rows = (await Get($"/api/v1/trends/reasons?{q}&by=segment"))["rows"]!.AsArray();
            var actual = rows.ToDictionary(r => (r!["group"]!.GetValue<string>(), r["category"]!.GetValue<string>()),
                r => (r!["deals"]!.GetValue<long>(), r["share"]!["n"]!.GetValue<long>()));
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }
        {
            var expected = oracle.Messages(f);
            var rows = (await Get($"/api/v1/trends/messages?{q}"))["rows"]!.AsArray();
            Assert.All(rows, r => Assert.Null(r!["group"]));
            var actual = rows.ToDictionary(r => r!["messageId"]!.GetValue<string>(),
                r => (r!["uses"]!.GetValue<long>(), r["resonated"]!.GetValue<long>(),
                      (long)Math.Round((r["winRateWhenUsed"]!["value"]?.GetValue<double>() ?? 0) * r["winRateWhenUsed"]!["n"]!.GetValue<long>()),
                      r["winRateWhenUsed"]!["n"]!.GetValue<long>() - (long)Math.Round((r["winRateWhenUsed"]!["value"]?.GetValue<double>() ?? 0) * r["winRateWhenUsed"]!["n"]!.GetValue<long>())));
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }
        {
            var expected = oracle.MessagesBySegment(f);
            var rows = (await Get($"/api/v1/trends/messages?{q}&by=segment"))["rows"]!.AsArray();
            var actual = rows.ToDictionary(r => (r!["group"]!.GetValue<string>(), r["messageId"]!.GetValue<string>()),
                r => (r!["uses"]!.GetValue<long>(), r["resonated"]!.GetValue<long>()));
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }
        {
            var expected = oracle.LeadSources(f);
            var rows = (await Get($"/api/v1/trends/lead-sources?{q}"))["rows"]!.AsArray();
            var actual = rows.ToDictionary(r => r!["leadSource"]?.GetValue<string>() ?? "", r => (r!["deals"]!.GetValue<long>(), r["won"]!.GetValue<long>()));
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }
        {
            var expected = oracle.Collateral(f);
            var rows = (await Get($"/api/v1/trends/collateral?{q}"))["rows"]!.AsArray();
            var actual = rows.Where(r => r!["uses"]!.GetValue<long>() > 0).ToDictionary(r => r!["collateralId"]!.GetValue<string>(), r => r!["uses"]!.GetValue<long>());
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }
        {
            // The profile's series is the competitor trend's rows of that competitor.
            var expected = oracle.CompetitorTrend(f, primaryOnly: false).Where(x => x.Key.Key == "c" + acme).ToDictionary(x => x.Key.Period, x => x.Value);
            var series = (await Get($"/api/v1/competitors/{acme}/profile?{q}"))["series"]!.AsArray();
            var actual = series.ToDictionary(r => r!["period"]!.GetValue<string>(),
                r => (r!["deals"]!.GetValue<long>(), r["won"]!.GetValue<long>(), r["lost"]!.GetValue<long>(), r["noDecision"]!.GetValue<long>()));
            Assert.Equal(expected.OrderBy(x => x.Key).ToList(), actual.OrderBy(x => x.Key).ToList());
        }
        return string.Join("\n", bodies);
    }

    private static BruteForce.Filter RandomFilter(Random random)
    {
        DateOnly? from = random.Next(3) == 0 ? null : new DateOnly(2025, 11, 20).AddDays(random.Next(100));
        DateOnly? to = random.Next(3) == 0 ? null : (from ?? new DateOnly(2025, 11, 1)).AddDays(random.Next(10, 120));
        return new BruteForce.Filter(from, to,
            random.Next(3) == 0 ? Segments[random.Next(Segments.Length)] : null,
            random.Next(3) == 0 ? Regions[random.Next(Regions.Length)] : null,
            random.Next(4) == 0 ? Stages[random.Next(Stages.Length)] : null,
            Granularities[random.Next(Granularities.Length)],
            random.Next(4) == 0 ? Products[random.Next(Products.Length)].Trim() : null,
            random.Next(4) == 0 ? Industries[random.Next(Industries.Length)] : null);
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
            ["stageReached"] = Stages[random.Next(Stages.Length)],
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
        // Product and industry as reps type them (case and spaces vary): filters match them case-insensitively.
        if (random.Next(4) > 0) body["product"] = Products[random.Next(Products.Length)];
        if (random.Next(4) > 0) body["industry"] = Industries[random.Next(Industries.Length)];
        if (random.Next(2) == 0) { body["leadSource"] = random.Next(2) == 0 ? "webinar" : "referral"; body["leadQuality"] = random.Next(1, 6); }
        return body;
    }
}
