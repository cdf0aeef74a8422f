using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>The token bucket: a burst of at most its size, refilled at its rate; run on every backend.</summary>
public abstract class KvTokenBucketRateLimiterTests : RateLimitTestBase
{
    private KvTokenBucketRateLimiter Limiter(string partition, int limit, int perPeriod, int instance = 0) =>
        new(Backend.Store(instance), partition, new KvTokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        });

    [Fact]
    public async Task Starts_full_and_never_bursts_past_its_size()
    {
        using KvTokenBucketRateLimiter limiter = Limiter(NewPartition(), limit: 10, perPeriod: 2);
        Assert.Equal(10, await AcquireAllAsync(limiter));
        using (RateLimitLease rejected = await limiter.AcquireAsync(1))
        {
            Assert.Equal(TimeSpan.FromSeconds(1), RetryAfter(rejected));
        }

        // A long idle time refills the bucket, never past its size.
        Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(10, await AcquireAllAsync(limiter));
    }

    [Fact]
    public async Task Refills_at_its_rate_across_instances()
    {
        // 20 s of greedy callers on four instances, probed every 100 ms: the 10 of the full bucket plus 2 per second.
        string partition = NewPartition();
        KvTokenBucketRateLimiter[] limiters = [.. Enumerable.Range(0, RateLimitBackend.Instances).Select(i => Limiter(partition, limit: 10, perPeriod: 2, instance: i))];
        int acquired = 0;
        for (int step = 0; step <= 200; step++)
        {
            acquired += await AcquireAllAsync(limiters[step % limiters.Length]);
            Clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(10 + (2 * 20), acquired);
        Array.ForEach(limiters, l => l.Dispose());
    }

    [Fact]
    public async Task Retry_after_counts_the_periods_a_larger_request_needs()
    {
        using KvTokenBucketRateLimiter limiter = Limiter(NewPartition(), limit: 4, perPeriod: 1);
        Assert.True((await limiter.AcquireAsync(4)).IsAcquired);
        using (RateLimitLease rejected = await limiter.AcquireAsync(3))
        {
            Assert.Equal(TimeSpan.FromSeconds(3), RetryAfter(rejected));
        }

        Clock.Advance(TimeSpan.FromMilliseconds(1500));
        using (RateLimitLease rejected = await limiter.AcquireAsync(3))
        {
            Assert.Equal(TimeSpan.FromMilliseconds(1500), RetryAfter(rejected));
        }

        Clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.True((await limiter.AcquireAsync(3)).IsAcquired);
        Assert.Equal(0, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public async Task Its_key_lives_until_the_bucket_is_full_again()
    {
        string partition = NewPartition();
        using KvTokenBucketRateLimiter limiter = Limiter(partition, limit: 10, perPeriod: 2);
        Assert.True((await limiter.AcquireAsync(5)).IsAcquired);

        // 5 tokens missing at 2 per second: full after 3 periods.
        KvTimeToLive ttl = await Backend.StateTimeToLiveAsync("__kv:rl:tb:" + partition);
        Assert.InRange(ttl.Remaining!.Value, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        await Backend.AssertEveryLimiterKeyHasTtlAsync(["__kv:rl:tb:" + partition]);
    }
}

public sealed class MemoryKvTokenBucketRateLimiterTests : KvTokenBucketRateLimiterTests
{
    protected override RateLimitBackend CreateBackend() => new MemoryRateLimitBackend();
}

public sealed class RedisKvTokenBucketRateLimiterTests(RateLimitRedisFixture redis) : KvTokenBucketRateLimiterTests, IClassFixture<RateLimitRedisFixture>
{
    protected override RateLimitBackend CreateBackend() => new RedisRateLimitBackend(redis);
}
