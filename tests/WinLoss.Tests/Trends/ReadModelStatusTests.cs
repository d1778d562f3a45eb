using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Trends;

public sealed class ReadModelStatusTests
{
    private static HttpClient Client(WebApplicationFactory<Program> factory, string key)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task An_admin_sees_the_position_the_changes_still_to_apply_and_the_snapshot_and_a_trend_query_applies_them()
    {
        await using var baseApp = new TestApp();
        // No background passes while the test looks (the poll is 10 minutes); only writes through this process nudge it.
        await using var factory = baseApp.WithWebHostBuilder(b => b.UseSetting("WINLOSS_READSIDE_POLL_MS", "600000"));
        var admin = Client(factory, TestApp.AdminKey);
        var rep = baseApp.SeedUser("rep");

        var first = await (await admin.GetAsync("/api/v1/admin/read-model")).ReadJson();
        Assert.Equal("ready", first["state"]!.GetValue<string>());
        Assert.True(first["ready"]!.GetValue<bool>());

        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await Client(factory, rep.Key).PostReport(Http.Report($"STATUS-{i}"))).StatusCode);
        await Task.Delay(1500); // the pass nudged by the filings (and the key's last-used time) has run: no more passes now
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/trends/competitors")).StatusCode); // catches up
        var applied = await (await admin.GetAsync("/api/v1/admin/read-model")).ReadJson();
        Assert.Equal(0, applied["pendingChanges"]!.GetValue<long>());
        Assert.True(applied["position"]!.GetValue<long>() > first["position"]!.GetValue<long>());
        Assert.NotNull(applied["asOf"]);

        // A change committed behind the process's back (as another instance's would be) is pending until a query applies it.
        using (var db = baseApp.OpenDb())
        {
            var id = db.ExecuteScalar<long>("SELECT id FROM reports WHERE deal_id = 'STATUS-0'");
            db.Execute("INSERT INTO read_changes (entity, entity_id, changed_at) VALUES ('report', @id, '2026-12-01T00:00:00.000Z')", new { id });
        }
        var pending = await (await admin.GetAsync("/api/v1/admin/read-model")).ReadJson();
        Assert.Equal(1, pending["pendingChanges"]!.GetValue<long>());
        Assert.Equal(applied["position"]!.GetValue<long>(), pending["position"]!.GetValue<long>());

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/trends/competitors")).StatusCode);
        var caughtUp = await (await admin.GetAsync("/api/v1/admin/read-model")).ReadJson();
        Assert.Equal(0, caughtUp["pendingChanges"]!.GetValue<long>());
        Assert.True(caughtUp["position"]!.GetValue<long>() > pending["position"]!.GetValue<long>());
        Assert.Equal("2026-12-01T00:00:00.000Z", caughtUp["asOf"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_snapshot_on_disk_is_shown_once_saved_and_only_admins_may_look()
    {
        await using var baseApp = new TestApp();
        await using var factory = baseApp.WithWebHostBuilder(b => b.UseSetting("WINLOSS_READSIDE_SNAPSHOT_SECONDS", "5"));
        var admin = Client(factory, TestApp.AdminKey);
        var status = await (await admin.GetAsync("/api/v1/admin/read-model")).ReadJson();
        Assert.Null(status["snapshot"]); // a new database: rebuilt at start, saved every 5 s from then on

        var rep = baseApp.SeedUser("rep");
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(factory, rep.Key).GetAsync("/api/v1/admin/read-model")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/api/v1/admin/read-model")).StatusCode);

        var saved = status;
        for (var i = 0; i < 60 && saved["snapshot"] is null; i++)
        {
            await Task.Delay(500);
            saved = await (await admin.GetAsync("/api/v1/admin/read-model")).ReadJson();
        }
        Assert.True(saved["snapshot"]!["bytes"]!.GetValue<long>() > 0);
        var savedAt = DateTime.Parse(saved["snapshot"]!["savedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(savedAt, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    [Trait("Engine", "PostgreSql")]
    public async Task On_postgresql_changes_above_the_watermark_that_the_last_pass_applied_are_not_pending()
    {
        await using var app = new TestApp();
        await app.InitializeAsync();
        var rep = app.SeedUser("rep");
        // A transaction in flight (another instance's, say) holds the watermark below everything committed after it began.
        using var held = app.OpenDb();
        using var transaction = held.BeginTransaction();
        var heldId = held.ExecuteScalar<long>("SELECT pg_current_xact_id()::text::bigint", transaction: transaction);

        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await app.Client(rep.Key).PostReport(Http.Report($"HELD-{i}"))).StatusCode);
        var trend = await (await app.Admin().GetAsync("/api/v1/trends/competitors")).ReadJson(); // applies the three
        Assert.Equal(3, trend["overall"]!.AsArray().Sum(r => r!["deals"]!.GetValue<long>()));

        var status = await (await app.Admin().GetAsync("/api/v1/admin/read-model")).ReadJson();
        Assert.True(status["position"]!.GetValue<long>() < heldId, "the watermark was not held back");
        Assert.Equal(0, status["pendingChanges"]!.GetValue<long>());
        transaction.Rollback();
    }
}
