using Kv.Conformance;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary><see cref="KvDistributedCache"/> against what <see cref="IDistributedCache"/> (and
/// MemoryDistributedCache) accept.</summary>
public sealed class KvDistributedCacheLimitsTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly KvDistributedCache _cache;

    public KvDistributedCacheLimitsTests()
    {
        var kv = new MemoryKv(new MemoryKvOptions(), _clock);
        _cache = new KvDistributedCache(kv, Options.Create(new KvDistributedCacheOptions()), _clock);
    }

    [Fact]
    public async Task An_expiration_further_away_than_Kvs_MaxTtl_is_accepted()
    {
        // MemoryDistributedCache accepts these; Kv's TTL limit (3650 days) is an implementation detail of the store.
        await _cache.SetAsync("far-relative", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(4000) });
        await _cache.SetAsync("far-absolute", [2], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.MaxValue });
        await _cache.SetAsync("far-sliding", [3], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromDays(4000) });

        Assert.Equal([1], await _cache.GetAsync("far-relative"));
        Assert.Equal([2], await _cache.GetAsync("far-absolute"));
        Assert.Equal([3], await _cache.GetAsync("far-sliding"));
    }

    [Fact]
    public async Task An_empty_value_round_trips_as_an_empty_array_not_as_missing()
    {
        await _cache.SetAsync("empty", [], new DistributedCacheEntryOptions());

        byte[]? value = await _cache.GetAsync("empty");

        Assert.NotNull(value);
        Assert.Empty(value);
    }

    [Fact]
    public async Task Keys_longer_than_Kvs_key_limit_work_as_IDistributedCache_keys()
    {
        // IDistributedCache takes any string key; HybridCache, for one, sends keys of up to 1024 characters to it.
        string key = "hybrid:" + new string('k', 400);
        await _cache.SetAsync(key, [7], new DistributedCacheEntryOptions());

        Assert.Equal([7], await _cache.GetAsync(key));
    }
}
