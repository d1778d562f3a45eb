using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using System.Data.Common;
using WinLoss.Api.Infrastructure.Auth;

namespace WinLoss.Tests.Infrastructure;

/// <summary>
/// The real service (WebApplicationFactory) on a fresh temporary database: an SQLite file, or a new PostgreSQL
/// database when the suite runs on PostgreSQL (<see cref="TestEngine"/>). One per test class (xUnit class fixture) or
/// per test (create and dispose in the test).
/// </summary>
public sealed class TestApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "wl_test_admin_key_0123456789abcdefghijklmnopqrstuvwxyz";

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "winloss-tests", Guid.NewGuid().ToString("N"));
    private string? _db;

    /// <summary>The SQLite file (tests of SQLite-only behaviour; carry [Trait("Engine", "Sqlite")]).</summary>
    public string DbPath => TestEngine.PostgreSql
        ? throw new InvalidOperationException("This test reads the SQLite file: mark it [Trait(\"Engine\", \"Sqlite\")].")
        : Path.Combine(Directory, "winloss.db");

    /// <summary>WINLOSS_DB of this app: the SQLite file or the PostgreSQL connection string.</summary>
    public string Db => _db ??= TestEngine.CreateDatabase(Directory);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        System.IO.Directory.CreateDirectory(Directory);
        builder.UseSetting("WINLOSS_DB", Db);
        builder.UseSetting("WINLOSS_DATA_DIR", Directory);
        builder.UseSetting("WINLOSS_ADMIN_KEY", AdminKey);
        builder.UseSetting("WINLOSS_RATE_LIMIT", "100000");
        // Dozens of apps live in one test process: one engine thread each (the default, one per core, cost the fast tier
        // half its CPU time: 119 s against 67 s measured back to back).
        if (!TestEngine.PostgreSql) builder.UseSetting("WINLOSS_READSIDE_THREADS", "1"); // on PostgreSQL a slower catch-up holds its connection longer
        builder.UseEnvironment("Testing");
    }

    public ValueTask InitializeAsync()
    {
        _ = Server; // start the host: runs migrations and creates the admin
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_db is not null) TestEngine.Drop(_db);
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    public HttpClient Client(string? key)
    {
        var client = CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    public DbConnection OpenDb() => TestEngine.Open(Db);

    /// <summary>Creates a user with a key straight in the database (test set-up; the users API is tested on its own).</summary>
    public (long UserId, string Key) SeedUser(string role, string? email = null)
    {
        using var c = OpenDb();
        var key = ApiKeys.Generate();
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        var id = c.ExecuteScalar<long>(
            "INSERT INTO users (email, display_name, role, created_at) VALUES (@email, @name, @role, @now) RETURNING id",
            new { email = email ?? $"{role}-{Guid.NewGuid():N}@example.com", name = $"Test {role}", role, now });
        c.Execute("INSERT INTO api_keys (user_id, prefix, hash, created_at) VALUES (@id, @prefix, @hash, @now)",
            new { id, prefix = ApiKeys.DisplayPrefix(key), hash = ApiKeys.Hash(key), now });
        return (id, key);
    }
}

public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");

    public static async Task<JsonNode> ReadJson(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    /// <summary>A valid lost-deal report body; override fields with <paramref name="with"/>.</summary>
    public static JsonObject Report(string dealId, Action<JsonObject>? with = null)
    {
        var body = new JsonObject
        {
            ["dealId"] = dealId,
            ["outcome"] = "lost",
            ["closedOn"] = "2026-10-15",
            ["amount"] = 25000,
            ["currency"] = "USD",
            ["segment"] = "mid_market",
            ["stageReached"] = "proposal",
            ["region"] = "EMEA",
            ["competitors"] = new JsonArray(new JsonObject { ["name"] = "Acme Corp", ["primary"] = true }),
            ["reasons"] = new JsonArray(new JsonObject { ["category"] = "price", ["detail"] = "20% cheaper", ["primary"] = true }),
            ["objections"] = new JsonArray(new JsonObject { ["category"] = "price", ["competitor"] = "Acme", ["text"] = "too expensive", ["overcome"] = false }),
        };
        with?.Invoke(body);
        return body;
    }

    public static Task<HttpResponseMessage> PostReport(this HttpClient client, JsonObject body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reports") { Content = Json(body.ToJsonString()) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }
}
