using WinLoss.Api.Infrastructure.Auth;

namespace WinLoss.Tests.Identity;

public sealed class KeyCacheTests
{
    [Fact]
    public void A_lookup_that_raced_a_revocation_does_not_stay_cached()
    {
        var cache = new KeyCache();
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
}
