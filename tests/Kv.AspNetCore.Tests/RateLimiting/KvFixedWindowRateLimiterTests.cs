using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>The fixed window: exactly the limit per window, on the store's clock; written once, run on every backend.</summary>
public abstract class KvFixedWindowRateLimiterTests : RateLimitTestBase
{
    private KvFixedWindowRateLimiter Limiter(string partition, int limit = 5, int instance = 0) =>
        new(Backend.Store(instance), partition, new KvFixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromSeconds(10) });

    [Fact]
    public async Task Admits_exactly_the_limit_per_window_and_resets_after_it()
    {
        // The fake clock starts on a window boundary (windows are aligned to the Unix epoch).
        string partition = NewPartition();
        using KvFixedWindowRateLimiter limiter = Limiter(partition);

        Assert.Equal(5, await AcquireAllAsync(limiter));
        using (RateLimitLease rejected = await limiter.AcquireAsync(1))
        {
            Assert.Equal(TimeSpan.FromSeconds(10), RetryAfter(rejected));
        }

        Clock.Advance(TimeSpan.FromSeconds(4));
        using (RateLimitLease rejected = await limiter.AcquireAsync(1))
        {
            Assert.Equal(TimeSpan.FromSeconds(6), RetryAfter(rejected));
        }

        Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(5, await AcquireAllAsync(limiter));
    }

    [Fact]
    public async Task Every_instance_counts_against_one_limit()
    {
        string partition = NewPartition();
        KvFixedWindowRateLimiter[] limiters = [.. Enumerable.Range(0, RateLimitBackend.Instances).Select(i => Limiter(partition, limit: 6, instance: i))];
        int acquired = 0;
        for (int round = 0; round < 3; round++)
        {
            foreach (KvFixedWindowRateLimiter limiter in limiters)
            {
                using RateLimitLease lease = await limiter.AcquireAsync(1);
                acquired += lease.IsAcquired ? 1 : 0;
            }
        }

        Assert.Equal(6, acquired);
        Array.ForEach(limiters, l => l.Dispose());
    }

    [Fact]
    public async Task A_rejected_request_takes_nothing_so_a_smaller_one_still_fits()
    {
        using KvFixedWindowRateLimiter limiter = Limiter(NewPartition());
        using (RateLimitLease three = await limiter.AcquireAsync(3))
        {
            Assert.True(three.IsAcquired);
        }

        using (RateLimitLease tooMany = await limiter.AcquireAsync(3))
        {
            Assert.False(tooMany.IsAcquired);
        }

        using RateLimitLease two = await limiter.AcquireAsync(2);
        Assert.True(two.IsAcquired);
    }

    [Fact]
    public async Task Zero_permits_asks_whether_a_permit_is_left_without_taking_one()
    {
        using KvFixedWindowRateLimiter limiter = Limiter(NewPartition(), limit: 1);
        using (RateLimitLease probe = await limiter.AcquireAsync(0))
        {
            Assert.True(probe.IsAcquired);
        }

        using (RateLimitLease one = await limiter.AcquireAsync(1))
        {
            Assert.True(one.IsAcquired);
        }

        using RateLimitLease after = await limiter.AcquireAsync(0);
        Assert.Equal(TimeSpan.FromSeconds(10), RetryAfter(after));
    }

    [Fact]
    public async Task Statistics_show_the_permits_left_and_the_leases_granted_and_refused()
    {
        using KvFixedWindowRateLimiter limiter = Limiter(NewPartition());
        RateLimiterStatistics initial = limiter.GetStatistics()!;
        Assert.Equal(5, initial.CurrentAvailablePermits);
        Assert.Equal(0, initial.TotalSuccessfulLeases);

        for (int i = 0; i < 3; i++)
        {
            (await limiter.AcquireAsync(1)).Dispose();
        }

        Assert.Equal(2, limiter.GetStatistics()!.CurrentAvailablePermits);
        for (int i = 0; i < 3; i++)
        {
            (await limiter.AcquireAsync(1)).Dispose();
        }

        RateLimiterStatistics statistics = limiter.GetStatistics()!;
        Assert.Equal(0, statistics.CurrentAvailablePermits);
        Assert.Equal(5, statistics.TotalSuccessfulLeases);
        Assert.Equal(1, statistics.TotalFailedLeases);
        Assert.Equal(0, statistics.CurrentQueuedCount);
    }

    [Fact]
    public async Task Its_key_has_a_ttl_that_ends_with_the_window()
    {
        string partition = NewPartition();
        using KvFixedWindowRateLimiter limiter = Limiter(partition);
        Clock.Advance(TimeSpan.FromSeconds(3));
        (await limiter.AcquireAsync(1)).Dispose();

        KvTimeToLive ttl = await Backend.StateTimeToLiveAsync("__kv:rl:fw:" + partition);
        Assert.Equal(KvTtlState.Expiring, ttl.State);
        Assert.InRange(ttl.Remaining!.Value, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7));
        await Backend.AssertEveryLimiterKeyHasTtlAsync(["__kv:rl:fw:" + partition]);
    }
}

public sealed class MemoryKvFixedWindowRateLimiterTests : KvFixedWindowRateLimiterTests
{
    protected override RateLimitBackend CreateBackend() => new MemoryRateLimitBackend();
}

public sealed class RedisKvFixedWindowRateLimiterTests(RateLimitRedisFixture redis) : KvFixedWindowRateLimiterTests, IClassFixture<RateLimitRedisFixture>
{
    protected override RateLimitBackend CreateBackend() => new RedisRateLimitBackend(redis);
}
