using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WinLoss.Api.Infrastructure.Auth;
using WinLoss.Tests.Infrastructure;

namespace WinLoss.Tests.Webhooks;

/// <summary>
/// The service (in-process, fresh database on the engine under test, <see cref="TestEngine"/>) with webhook settings for tests: private targets allowed (the
/// receiver listens on 127.0.0.1) unless <c>allowPrivate</c> is false, retries after 200 ms, polling every 50 ms.
/// </summary>
public class WebhookApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly bool _allowPrivate;
    private readonly string _schedule;

    public WebhookApp() : this(allowPrivate: true, schedule: "200ms,200ms,200ms,200ms") { }

    protected WebhookApp(bool allowPrivate, string schedule)
    {
        _allowPrivate = allowPrivate;
        _schedule = schedule;
    }

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "winloss-tests", Guid.NewGuid().ToString("N"));
    private string? _db;

    /// <summary>WINLOSS_DB of this app (an SQLite file or a PostgreSQL database).</summary>
    public string Db => _db ??= TestEngine.CreateDatabase(Directory);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        System.IO.Directory.CreateDirectory(Directory);
        builder.UseSetting("WINLOSS_DB", Db);
        builder.UseSetting("WINLOSS_DATA_DIR", Directory);
        builder.UseSetting("WINLOSS_ADMIN_KEY", TestApp.AdminKey);
        builder.UseSetting("WINLOSS_RATE_LIMIT", "100000");
        if (!TestEngine.PostgreSql) builder.UseSetting("WINLOSS_READSIDE_THREADS", "1"); // as TestApp
        builder.UseSetting("WINLOSS_WEBHOOKS_ALLOW_PRIVATE", _allowPrivate ? "true" : "false");
        builder.UseSetting("WINLOSS_WEBHOOKS_RETRY_SCHEDULE", _schedule);
        builder.UseSetting("WINLOSS_WEBHOOKS_POLL_INTERVAL", "50ms");
        builder.UseSetting("WINLOSS_WEBHOOKS_TIMEOUT", "5s");
        builder.UseSetting("WINLOSS_ALERTS_INTERVAL", "200ms");
        builder.UseEnvironment("Testing");
    }

    public ValueTask InitializeAsync()
    {
        _ = Server;
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_db is not null) TestEngine.Drop(_db);
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    public HttpClient Admin() => Client(TestApp.AdminKey);

    public HttpClient Client(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public System.Data.Common.DbConnection OpenDb() => TestEngine.Open(Db);

    public string SeedUser(string role)
    {
        using var c = OpenDb();
        var key = ApiKeys.Generate();
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        var id = c.ExecuteScalar<long>(
            "INSERT INTO users (email, display_name, role, created_at) VALUES (@email, @name, @role, @now) RETURNING id",
            new { email = $"{role}-{Guid.NewGuid():N}@example.com", name = $"Test {role}", role, now });
        c.Execute("INSERT INTO api_keys (user_id, prefix, hash, created_at) VALUES (@id, @prefix, @hash, @now)",
            new { id, prefix = ApiKeys.DisplayPrefix(key), hash = ApiKeys.Hash(key), now });
        return key;
    }
}

/// <summary>The same, without WINLOSS_WEBHOOKS_ALLOW_PRIVATE: the SSRF guard is on.</summary>
public sealed class StrictWebhookApp() : WebhookApp(allowPrivate: false, schedule: "200ms");

/// <summary>One request as the receiver saw it.</summary>
public sealed record Received(string? Id, string? Timestamp, string? Signature, byte[] Body, DateTimeOffset At, int AnsweredWith)
{
    public string Text => Encoding.UTF8.GetString(Body);
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>
/// A real HTTP receiver (Kestrel on 127.0.0.1, a free port). <see cref="Script"/> decides each answer from the
/// 0-based number of the request: a status, and optionally a Retry-After or a delay before answering.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SemaphoreSlim _arrived = new(0);
    private int _count;
    public ConcurrentQueue<Received> Requests { get; } = new();
    public string Url { get; }
    public Func<int, Answer> Script { get; set; } = _ => new Answer(200);

    public sealed record Answer(int Status, int? RetryAfterSeconds = null, TimeSpan? Delay = null);

    private Receiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<Receiver> StartAsync(string path = "/hook")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        var app = builder.Build();
        Receiver? self = null;
        app.MapPost(path, async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var n = Interlocked.Increment(ref self!._count) - 1;
            var answer = self.Script(n);
            if (answer.Delay is { } delay)
            {
                try { await Task.Delay(delay, http.RequestAborted); } catch (OperationCanceledException) { return; }
            }
            self.Requests.Enqueue(new Received(http.Request.Headers["webhook-id"], http.Request.Headers["webhook-timestamp"],
                http.Request.Headers["webhook-signature"], buffer.ToArray(), DateTimeOffset.UtcNow, answer.Status));
            self._arrived.Release();
            http.Response.StatusCode = answer.Status;
            if (answer.RetryAfterSeconds is { } s) http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await http.Response.WriteAsync(answer.Status >= 400 ? "receiver says no" : "ok");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new Receiver(app, address.TrimEnd('/') + path);
        return self;
    }

    /// <summary>Number of requests that have been answered (not counting one still held by a Delay).</summary>
    public int Count => Requests.Count;

    /// <summary>Waits until at least <paramref name="count"/> requests were answered.</summary>
    public async Task<List<Received>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"expected {count} requests, got {Requests.Count}");
            await _arrived.WaitAsync(left);
        }
        return Requests.ToList();
    }

    /// <summary>Number of requests that reached the handler (including one being held).</summary>
    public int Started => Volatile.Read(ref _count);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class WebhookHttp
{
    public static async Task<(long Id, string Secret)> CreateWebhookAsync(this HttpClient client, string url, string[] events, string format = "standard")
    {
        var response = await client.PostAsync("/api/v1/webhooks", Http.Json(new { url, events, format }));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != System.Net.HttpStatusCode.Created) throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!;
        return (json["id"]!.GetValue<long>(), json["secret"]!.GetValue<string>());
    }

    /// <summary>
    /// Verifies a Standard Webhooks signature the way a receiver does, written out here independently of the service:
    /// key = base64-decode(secret without "whsec_"), expected = "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)),
    /// compared in constant time with each space-separated signature in the header.
    /// </summary>
    public static bool SignatureVerifies(string secret, Received r)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{r.Id}.{r.Timestamp}.").Concat(r.Body).ToArray();
        var expected = Encoding.ASCII.GetBytes("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)));
        return (r.Signature ?? "").Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }

    public static async Task<JsonArray> DeliveriesAsync(this HttpClient client, long webhookId) =>
        (JsonArray)JsonNode.Parse(await client.GetStringAsync($"/api/v1/webhooks/{webhookId}/deliveries"))!;

    /// <summary>Polls the deliveries list until <paramref name="done"/> holds (the worker records attempts asynchronously).</summary>
    public static async Task<JsonArray> WaitForDeliveriesAsync(this HttpClient client, long webhookId, Func<JsonArray, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var list = await client.DeliveriesAsync(webhookId);
            if (done(list)) return list;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("deliveries never reached the expected state: " + list.ToJsonString());
            await Task.Delay(50);
        }
    }
}
