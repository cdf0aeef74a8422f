using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// The cache on Redis. Redis counts TTLs on its own clock, so time passing is emulated: the cache's clock moves forward
/// and the test's keys have their remaining TTL lowered by as much (keys reaching zero are deleted), through Kv's API.
/// The synchronous methods run on StackExchange.Redis's synchronous API.
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
}
