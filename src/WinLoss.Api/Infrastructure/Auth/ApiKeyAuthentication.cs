using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Infrastructure.Auth;

/// <summary>
/// "Authorization: Bearer wl_..." → the key's user and role. Resolved keys are cached in memory
/// (a key lookup per request would cost a read per request); revocation evicts the cache entry,
/// so a revoked key stops working immediately. last_used_at is written at most once a minute per key.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    KeyCache cache,
    Db db,
    Writer writer)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("Use Authorization: Bearer <api key>.");
        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200) return AuthenticateResult.Fail("Invalid API key.");

        var hash = ApiKeys.Hash(key);
        var entry = await cache.GetAsync(Convert.ToHexString(hash), ct => LookUpAsync(hash, ct), Context.RequestAborted);
        if (entry is null) return AuthenticateResult.Fail("Invalid API key.");

        if (cache.ShouldTouch(entry.KeyId))
        {
            var now = Database.Clock.Now();
            _ = writer.ExecuteAsync((c, t) =>
                c.Execute("UPDATE api_keys SET last_used_at = @now WHERE id = @id", new { now, id = entry.KeyId }, t));
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, entry.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Role, entry.Role),
            new Claim("key_id", entry.KeyId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private async Task<KeyCache.Entry?> LookUpAsync(byte[] hash, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            """
            SELECT k.id AS KeyId, k.user_id AS UserId, u.role AS Role, k.hash AS Hash
            FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.hash = @hash AND k.revoked_at IS NULL
            """, new { hash }, cancellationToken: ct));
        return row is null || !ApiKeys.FixedTimeEquals(row.Hash, hash) ? null : new KeyCache.Entry(row.KeyId, row.UserId, row.Role);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "Unauthorized", "A valid API key is required: Authorization: Bearer <key>.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "Forbidden", "Your role may not do this.");

    private Task WriteProblem(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == 401) Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(Context);
    }

    private sealed record KeyRow(long KeyId, long UserId, string Role, byte[] Hash);
}

public sealed class KeyCache(Database.Db db)
{
    public sealed record Entry(long KeyId, long UserId, string Role);

    /// <summary>
    /// With PostgreSQL another instance may revoke a key or change a role: a cached key is then looked up again when
    /// older than this (a revocation reaches every instance within it). SQLite: one process, entries live until cleared.
    /// </summary>
    public static readonly TimeSpan SharedDatabaseMaxAge = TimeSpan.FromSeconds(5);

    private readonly long _maxAgeMs = db.IsPostgreSql ? (long)SharedDatabaseMaxAge.TotalMilliseconds : long.MaxValue;
    private readonly ConcurrentDictionary<string, (Entry Entry, long At)> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, long> _lastTouch = new();

    public bool TryGet(string hashHex, out Entry entry)
    {
        if (_entries.TryGetValue(hashHex, out var cached) && Environment.TickCount64 - cached.At < _maxAgeMs)
        {
            entry = cached.Entry;
            return true;
        }
        entry = null!;
        return false;
    }

    private readonly ConcurrentDictionary<(string Hash, long Generation), Lazy<Task<Entry?>>> _lookups = new();

    /// <summary>
    /// The key's entry: from the cache, else from <paramref name="lookUp"/> (null: no such live key), cached. Requests
    /// arriving with the same uncached key while it is looked up share that one lookup, so a burst of first requests opens
    /// one database connection, not one each. A request arriving after a revocation or role change (<see cref="Clear"/>)
    /// never joins a lookup that started before it: lookups are shared per cache generation. The shared lookup runs to its
    /// end even when the request that started it is cancelled; each request stops waiting when its own token is cancelled.
    /// </summary>
    public async Task<Entry?> GetAsync(string hashHex, Func<CancellationToken, Task<Entry?>> lookUp, CancellationToken ct)
    {
        if (TryGet(hashHex, out var cached)) return cached;
        var key = (hashHex, Generation);
        var lookup = _lookups.GetOrAdd(key, k => new Lazy<Task<Entry?>>(() => LookUpOnceAsync(k, lookUp)));
        return await lookup.Value.WaitAsync(ct);
    }

    private async Task<Entry?> LookUpOnceAsync((string Hash, long Generation) key, Func<CancellationToken, Task<Entry?>> lookUp)
    {
        await Task.Yield(); // out of the Lazy's factory before anything can fail or finish
        try
        {
            var entry = await lookUp(CancellationToken.None);
            if (entry is not null) Set(key.Hash, entry, key.Generation);
            return entry;
        }
        finally
        {
            _lookups.TryRemove(key, out _);
        }
    }

    private long _generation;

    /// <summary>Read before looking a key up in the database; pass to <see cref="Set"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>
    /// Caches a key read from the database at <paramref name="generation"/>. If the cache was cleared since
    /// (a revocation or role change committed while the lookup ran), the entry is dropped again, so a
    /// lookup that raced a revocation cannot keep a revoked key alive.
    /// </summary>
    public void Set(string hashHex, Entry entry, long generation)
    {
        if (_entries.Count > 100_000) _entries.Clear();
        _entries[hashHex] = (entry, Environment.TickCount64);
        if (Generation != generation) _entries.TryRemove(hashHex, out _);
    }

    /// <summary>Forget every cached key (after a revocation or role change).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public bool ShouldTouch(long keyId)
    {
        var now = Environment.TickCount64;
        var last = _lastTouch.GetOrAdd(keyId, 0);
        if (last != 0 && now - last < 60_000) return false;
        return _lastTouch.TryUpdate(keyId, now, last);
    }
}
