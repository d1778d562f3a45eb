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
}
