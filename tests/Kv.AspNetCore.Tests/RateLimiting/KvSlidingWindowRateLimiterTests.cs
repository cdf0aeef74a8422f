using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>The sliding window: never more than the limit in any window of its length; run on every backend.</summary>
public abstract class KvSlidingWindowRateLimiterTests : RateLimitTestBase
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private KvSlidingWindowRateLimiter Limiter(string partition, int limit, int segments = 4, int instance = 0) =>
        new(Backend.Store(instance), partition, new KvSlidingWindowRateLimiterOptions { PermitLimit = limit, Window = Window, SegmentsPerWindow = segments });

    [Fact]
    public async Task Never_admits_more_than_the_limit_in_any_window_of_its_length()
    {
        // Random bursts of 1-3 permits from four instances, probed at 37 ms steps (so every offset within the 250 ms
        // segments is visited), then every window of 1 s that starts at an admission is counted.
        const int limit = 10;
        string partition = NewPartition();
        KvSlidingWindowRateLimiter[] limiters = [.. Enumerable.Range(0, RateLimitBackend.Instances).Select(i => Limiter(partition, limit, instance: i))];
        var random = new Random(42);
        var admitted = new List<(long At, int Permits)>();
        long now = 0;
        for (int step = 0; step < 200; step++)
        {
            int attempts = random.Next(0, 5);
            for (int a = 0; a < attempts; a++)
            {
                int permits = random.Next(1, 4);
                using RateLimitLease lease = await limiters[random.Next(limiters.Length)].AcquireAsync(permits);
                if (lease.IsAcquired)
                {
                    admitted.Add((now, permits));
                }
            }

            Clock.Advance(TimeSpan.FromMilliseconds(37));
            now += 37;
        }

        long window = (long)Window.TotalMilliseconds;
        foreach ((long start, _) in admitted)
        {
            int inWindow = admitted.Where(x => x.At >= start && x.At < start + window).Sum(x => x.Permits);
            Assert.True(inWindow <= limit, $"{inWindow} permits in the window starting at {start} ms");
        }

        // And it is not merely stingy: a permit comes back within Window + one segment (1.25 s) after it was taken.
        int total = admitted.Sum(x => x.Permits);
        Assert.True(total >= limit * (now / 1250) - limit, $"only {total} permits in {now} ms");
        Array.ForEach(limiters, l => l.Dispose());
    }

    [Fact]
    public async Task Retry_after_is_when_the_oldest_counted_segment_leaves()
    {
        // Segments of 250 ms; permits taken in segment k count until segment k + 4 ends: 1.25 s from a boundary.
        using KvSlidingWindowRateLimiter limiter = Limiter(NewPartition(), limit: 2);
        Assert.Equal(2, await AcquireAllAsync(limiter));
        using (RateLimitLease rejected = await limiter.AcquireAsync(1))
        {
            Assert.Equal(TimeSpan.FromMilliseconds(1250), RetryAfter(rejected));
        }

        Clock.Advance(TimeSpan.FromMilliseconds(1249));
        using (RateLimitLease rejected = await limiter.AcquireAsync(1))
        {
            Assert.Equal(TimeSpan.FromMilliseconds(1), RetryAfter(rejected));
        }

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, await AcquireAllAsync(limiter));
    }

    [Fact]
    public async Task Permits_come_back_segment_by_segment()
    {
        using KvSlidingWindowRateLimiter limiter = Limiter(NewPartition(), limit: 4);
        (await limiter.AcquireAsync(1)).Dispose();               // segment 0
        Clock.Advance(TimeSpan.FromMilliseconds(500));
        (await limiter.AcquireAsync(3)).Dispose();               // segment 2
        Assert.Equal(0, await AcquireAllAsync(limiter));

        Clock.Advance(TimeSpan.FromMilliseconds(750));           // 1250 ms: segment 0 has left, segment 2 counts
        Assert.Equal(1, await AcquireAllAsync(limiter));
        Clock.Advance(TimeSpan.FromMilliseconds(500));           // 1750 ms: segment 2 has left too
        Assert.Equal(3, await AcquireAllAsync(limiter));
    }

    [Fact]
    public async Task Statistics_and_ttl_of_its_key()
    {
        string partition = NewPartition();
        using KvSlidingWindowRateLimiter limiter = Limiter(partition, limit: 3);
        Assert.Equal(3, await AcquireAllAsync(limiter));
        RateLimiterStatistics statistics = limiter.GetStatistics()!;
        Assert.Equal(0, statistics.CurrentAvailablePermits);
        Assert.Equal(3, statistics.TotalSuccessfulLeases);
        Assert.Equal(1, statistics.TotalFailedLeases);

        // The state means nothing once its newest segment has left the counted range: 1.25 s.
        KvTimeToLive ttl = await Backend.StateTimeToLiveAsync("__kv:rl:sw:" + partition);
        Assert.InRange(ttl.Remaining!.Value, TimeSpan.FromMilliseconds(1000), TimeSpan.FromMilliseconds(1250));
        await Backend.AssertEveryLimiterKeyHasTtlAsync(["__kv:rl:sw:" + partition]);
    }
}

public sealed class MemoryKvSlidingWindowRateLimiterTests : KvSlidingWindowRateLimiterTests
{
    protected override RateLimitBackend CreateBackend() => new MemoryRateLimitBackend();
}

public sealed class RedisKvSlidingWindowRateLimiterTests(RateLimitRedisFixture redis) : KvSlidingWindowRateLimiterTests, IClassFixture<RateLimitRedisFixture>
{
    protected override RateLimitBackend CreateBackend() => new RedisRateLimitBackend(redis);
}
