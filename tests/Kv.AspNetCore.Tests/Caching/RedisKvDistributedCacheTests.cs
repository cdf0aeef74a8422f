using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// The cache on Redis. Redis counts TTLs on its own clock, so time passing is emulated: the cache's clock moves forward
/// and the test's keys have their remaining TTL lowered by as much (keys reaching zero are deleted), through Kv's API.
/// The synchronous methods throw: Redis does not complete synchronously, and they never block on I/O.
/// </summary>
public sealed class RedisKvDistributedCacheTests(OwnRedisServerFixture redis) : KvDistributedCacheTests, IClassFixture<OwnRedisServerFixture>
{
    private readonly FakeTimeProvider _clock = new();
    private RedisKv? _kv;

    protected override KvAdaptor Adaptor => _kv ??= redis.CreateAdaptor(OwnRedisServerFixture.NewInstanceName(), _clock);

    protected override TimeProvider Clock => _clock;

    protected override async Task AdvanceAsync(TimeSpan by, params string[] keys)
    {
        _clock.Advance(by);
        IKvStore store = Adaptor.Namespace("cache");
        foreach (string key in keys)
        {
            KvTimeToLive ttl = await store.GetTimeToLiveAsync(key);
            if (ttl.State != KvTtlState.Expiring)
            {
                continue;
            }

            TimeSpan left = ttl.Remaining!.Value - by;
            if (left <= TimeSpan.Zero)
            {
                await store.DeleteAsync(key);
            }
            else
            {
                await store.ExpireAsync(key, left);
            }
        }
    }

    public override async Task DisposeAsync()
    {
        if (_kv is not null)
        {
            await _kv.DisposeAsync();
        }
    }

    [Fact]
    public async Task Synchronous_methods_throw_NotSupported_before_doing_anything()
    {
        Assert.False(Cache.SupportsSynchronousMethods);
        await Cache.SetAsync("present", [1, 2], new DistributedCacheEntryOptions());

        NotSupportedException get = Assert.Throws<NotSupportedException>(() => Cache.Get("present"));
        Assert.Contains("GetAsync", get.Message, StringComparison.Ordinal);
        Assert.Contains("Session.LoadAsync", get.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => Cache.Set("written", [1], new DistributedCacheEntryOptions()));
        Assert.Throws<NotSupportedException>(() => Cache.Refresh("present"));
        Assert.Throws<NotSupportedException>(() => Cache.Remove("present"));

        Assert.Null(await Cache.GetAsync("written"));
        Assert.Equal([1, 2], await Cache.GetAsync("present"));
    }
}
