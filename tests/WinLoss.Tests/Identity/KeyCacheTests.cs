using WinLoss.Api.Infrastructure.Auth;

namespace WinLoss.Tests.Identity;

public sealed class KeyCacheTests
{
    [Fact]
    public void A_lookup_that_raced_a_revocation_does_not_stay_cached()
    {
        var cache = new KeyCache(new WinLoss.Api.Infrastructure.Database.Db(Path.Combine(Path.GetTempPath(), "winloss-keycache", "unused.db")));
        var entry = new KeyCache.Entry(7, 3, Roles.Rep);

        var before = cache.Generation; // the lookup reads the database...
        cache.Clear();                  // ...while a revocation commits and clears the cache...
        cache.Set("AB", entry, before); // ...then the lookup caches what it read

        Assert.False(cache.TryGet("AB", out _));
        cache.Set("AB", entry, cache.Generation);
        Assert.True(cache.TryGet("AB", out var cached));
        Assert.Equal(entry, cached);
        cache.Clear();
        Assert.False(cache.TryGet("AB", out _));
    }

    [Fact]
    public async Task With_a_shared_database_a_cached_key_is_looked_up_again_after_a_few_seconds()
    {
        // Another instance may have revoked it; nothing connects until a lookup is made.
        var cache = new KeyCache(new WinLoss.Api.Infrastructure.Database.Db("Host=127.0.0.1;Port=1;Database=unused;Username=u"));
        cache.Set("AB", new KeyCache.Entry(7, 3, Roles.Rep), cache.Generation);
        Assert.True(cache.TryGet("AB", out _));
        await Task.Delay(KeyCache.SharedDatabaseMaxAge + TimeSpan.FromMilliseconds(200));
        Assert.False(cache.TryGet("AB", out _));
    }

    [Fact]
    public async Task A_burst_of_requests_with_one_uncached_key_makes_one_database_lookup()
    {
        var cache = new KeyCache(new WinLoss.Api.Infrastructure.Database.Db(Path.Combine(Path.GetTempPath(), "winloss-keycache", "unused.db")));
        var entry = new KeyCache.Entry(7, 3, Roles.Rep);
        var lookups = 0;
        var release = new TaskCompletionSource<KeyCache.Entry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<KeyCache.Entry?> LookUp(CancellationToken _) { Interlocked.Increment(ref lookups); return release.Task; }

        var burst = Enumerable.Range(0, 200).Select(_ => Task.Run(() => cache.GetAsync("AB", LookUp, CancellationToken.None))).ToList();
        await Task.Delay(200);
        release.SetResult(entry);
        var answers = await Task.WhenAll(burst);

        Assert.Equal(1, lookups);
        Assert.All(answers, a => Assert.Equal(entry, a));
        Assert.True(cache.TryGet("AB", out _));
        Assert.Equal(entry, await cache.GetAsync("AB", LookUp, CancellationToken.None)); // cached now: no second lookup
        Assert.Equal(1, lookups);
    }

    [Fact]
    public async Task An_unknown_key_is_not_cached_and_a_failed_lookup_is_retried_by_the_next_request()
    {
        var cache = new KeyCache(new WinLoss.Api.Infrastructure.Database.Db(Path.Combine(Path.GetTempPath(), "winloss-keycache", "unused.db")));
        var lookups = 0;
        Assert.Null(await cache.GetAsync("CD", _ => { lookups++; return Task.FromResult<KeyCache.Entry?>(null); }, CancellationToken.None));
        Assert.Null(await cache.GetAsync("CD", _ => { lookups++; return Task.FromResult<KeyCache.Entry?>(null); }, CancellationToken.None));
        Assert.Equal(2, lookups);
        Assert.False(cache.TryGet("CD", out _));

        await Assert.ThrowsAsync<TimeoutException>(() => cache.GetAsync("EF", _ => throw new TimeoutException(), CancellationToken.None));
        var entry = new KeyCache.Entry(8, 4, Roles.Analyst);
        Assert.Equal(entry, await cache.GetAsync("EF", _ => Task.FromResult<KeyCache.Entry?>(entry), CancellationToken.None));
    }

    [Fact]
    public async Task A_request_that_gives_up_does_not_cancel_the_lookup_others_wait_for()
    {
        var cache = new KeyCache(new WinLoss.Api.Infrastructure.Database.Db(Path.Combine(Path.GetTempPath(), "winloss-keycache", "unused.db")));
        var entry = new KeyCache.Entry(9, 5, Roles.Marketing);
        var release = new TaskCompletionSource<KeyCache.Entry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var aborted = new CancellationTokenSource();
        // The lookup honours the token it is given: were it the first request's, cancelling that request would fail it.
        var first = cache.GetAsync("AB", ct => release.Task.WaitAsync(ct), aborted.Token);
        var second = cache.GetAsync("AB", _ => throw new InvalidOperationException("a second lookup"), CancellationToken.None);
        aborted.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));
        release.SetResult(entry);
        Assert.Equal(entry, await second.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_request_after_a_revocation_does_not_join_a_lookup_that_started_before_it()
    {
        var cache = new KeyCache(new WinLoss.Api.Infrastructure.Database.Db(Path.Combine(Path.GetTempPath(), "winloss-keycache", "unused.db")));
        var before = new TaskCompletionSource<KeyCache.Entry?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var early = cache.GetAsync("AB", _ => before.Task, CancellationToken.None); // reads the key while it is live...
        cache.Clear();                                                                // ...a revocation commits...
        var late = cache.GetAsync("AB", _ => Task.FromResult<KeyCache.Entry?>(null), CancellationToken.None); // ...a request after it
        Assert.Null(await late.WaitAsync(TimeSpan.FromSeconds(10)));                  // looks the key up itself: revoked
        before.SetResult(new KeyCache.Entry(7, 3, Roles.Rep));
        Assert.NotNull(await early.WaitAsync(TimeSpan.FromSeconds(10)));              // the request before it got what it read
        Assert.False(cache.TryGet("AB", out _));                                      // and that is not cached
    }
}
