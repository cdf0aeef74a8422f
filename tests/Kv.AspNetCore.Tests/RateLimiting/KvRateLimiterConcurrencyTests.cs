using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// 1000 concurrent attempts from four limiter instances (four adaptors, four multiplexers on Redis; four limiters on
/// one MemoryKv), limit 100: exactly 100 are admitted, for every algorithm.
/// </summary>
public abstract class KvRateLimiterConcurrencyTests : RateLimitTestBase
{
    public static TheoryData<string> Algorithms() => ["fixed_window", "sliding_window", "token_bucket"];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Exactly_the_limit_of_1000_concurrent_attempts_from_four_instances_is_admitted(string algorithm)
    {
        const int limit = 100;
        string partition = NewPartition();
        RateLimiter[] limiters = [.. Enumerable.Range(0, RateLimitBackend.Instances).Select(i => Create(algorithm, Backend.Store(i), partition, limit))];

        // Connect every instance first, so the race is between decisions, not connection set-ups.
        foreach (RateLimiter limiter in limiters)
        {
            (await limiter.AcquireAsync(0)).Dispose();
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<bool>[] attempts = [.. Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
        {
            await start.Task;
            using RateLimitLease lease = await limiters[i % limiters.Length].AcquireAsync(1);
            return lease.IsAcquired;
        }))];
        start.SetResult();
        bool[] results = await Task.WhenAll(attempts);

        Assert.Equal(limit, results.Count(admitted => admitted));
        // The four warm-up probes (0 permits) were granted leases too.
        Assert.Equal(limit + limiters.Length, limiters.Sum(l => l.GetStatistics()!.TotalSuccessfulLeases));
        Assert.Equal(1000 - limit, limiters.Sum(l => l.GetStatistics()!.TotalFailedLeases));
        Array.ForEach(limiters, l => l.Dispose());
    }

    private static RateLimiter Create(string algorithm, IAtomicKvStore store, string partition, int limit) => algorithm switch
    {
        "fixed_window" => new KvFixedWindowRateLimiter(store, partition, new() { PermitLimit = limit, Window = TimeSpan.FromMinutes(1) }),
        "sliding_window" => new KvSlidingWindowRateLimiter(store, partition, new() { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6 }),
        _ => new KvTokenBucketRateLimiter(store, partition, new() { TokenLimit = limit, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromHours(1) }),
    };
}

public sealed class MemoryKvRateLimiterConcurrencyTests : KvRateLimiterConcurrencyTests
{
    protected override RateLimitBackend CreateBackend() => new MemoryRateLimitBackend();
}

public sealed class RedisKvRateLimiterConcurrencyTests(RateLimitRedisFixture redis) : KvRateLimiterConcurrencyTests, IClassFixture<RateLimitRedisFixture>
{
    protected override RateLimitBackend CreateBackend() => new RedisRateLimitBackend(redis);
}
