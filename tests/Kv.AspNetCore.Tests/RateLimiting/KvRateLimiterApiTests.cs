using System.Reflection;
using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.RateLimiting;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>The limiters' contract beyond the algorithms: the synchronous path, arguments, partitions; on every backend.</summary>
public abstract class KvRateLimiterApiTests : RateLimitTestBase
{
    private KvFixedWindowRateLimiter Limiter(string partition, int limit = 2) =>
        new(Backend.Store(0), partition, new KvFixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1) });

    [Fact]
    public async Task AttemptAcquire_decides_in_process_and_defers_to_AcquireAsync_on_a_remote_store()
    {
        using KvFixedWindowRateLimiter limiter = Limiter(NewPartition());
        RateLimitLease first = limiter.AttemptAcquire(1);
        if (Backend.InProcess)
        {
            // MemoryKv decides synchronously: a real answer, with RetryAfter on the rejection.
            Assert.True(first.IsAcquired);
            Assert.True(limiter.AttemptAcquire(1).IsAcquired);
            Assert.Equal(TimeSpan.FromMinutes(1), RetryAfter(limiter.AttemptAcquire(1)));
            return;
        }

        // A remote store: not acquired, no I/O (so no permit was taken and nothing counts as refused), and a reason
        // pointing at AcquireAsync, which the ASP.NET Core middleware calls next.
        Assert.False(first.IsAcquired);
        Assert.False(first.TryGetMetadata(MetadataName.RetryAfter, out _));
        Assert.True(first.TryGetMetadata(MetadataName.ReasonPhrase, out string? reason));
        Assert.Contains("AcquireAsync", reason, StringComparison.Ordinal);
        Assert.Equal(0, limiter.GetStatistics()!.TotalFailedLeases);
        Assert.Equal(2, await AcquireAllAsync(limiter));
    }

    [Fact]
    public async Task Permit_counts_outside_zero_to_the_limit_throw()
    {
        using KvFixedWindowRateLimiter limiter = Limiter(NewPartition());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await limiter.AcquireAsync(3));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await limiter.AcquireAsync(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AttemptAcquire(3));
    }

    [Fact]
    public async Task A_disposed_limiter_throws()
    {
        KvFixedWindowRateLimiter limiter = Limiter(NewPartition());
        limiter.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await limiter.AcquireAsync(1));
    }

    [Fact]
    public async Task Long_and_unprintable_partition_keys_are_hashed_and_stay_apart()
    {
        string longKey = new('x', 500);
        using KvFixedWindowRateLimiter a = Limiter(longKey, limit: 1);
        using KvFixedWindowRateLimiter b = Limiter(longKey + "y", limit: 1);
        using KvFixedWindowRateLimiter c = Limiter("tab\tand\nnewline", limit: 1);
        using KvFixedWindowRateLimiter d = Limiter(string.Empty, limit: 1);
        foreach (KvFixedWindowRateLimiter limiter in new[] { a, b, c, d })
        {
            Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
            Assert.False((await limiter.AcquireAsync(1)).IsAcquired);
        }
    }

    [Fact]
    public async Task Algorithms_and_partitions_never_share_state()
    {
        string partition = NewPartition();
        IAtomicKvStore store = Backend.Store(0);
        using var fixedWindow = new KvFixedWindowRateLimiter(store, partition, new() { PermitLimit = 1, Window = TimeSpan.FromMinutes(1) });
        using var slidingWindow = new KvSlidingWindowRateLimiter(store, partition, new() { PermitLimit = 1, Window = TimeSpan.FromMinutes(1) });
        using var tokenBucket = new KvTokenBucketRateLimiter(store, partition, new() { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMinutes(1) });
        using var other = new KvFixedWindowRateLimiter(store, partition + "-other", new() { PermitLimit = 1, Window = TimeSpan.FromMinutes(1) });
        foreach (RateLimiter limiter in new RateLimiter[] { fixedWindow, slidingWindow, tokenBucket, other })
        {
            Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        }

        await Backend.AssertEveryLimiterKeyHasTtlAsync(
            ["__kv:rl:fw:" + partition, "__kv:rl:sw:" + partition, "__kv:rl:tb:" + partition, "__kv:rl:fw:" + partition + "-other"]);
    }

    [Fact]
    public async Task Partition_helpers_give_each_key_its_own_limiter_on_the_shared_store()
    {
        IAtomicKvStore store = Backend.Store(0);
        string prefix = NewPartition();
        using PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(client =>
            KvRateLimitPartition.GetSlidingWindowLimiter(prefix + client, store, _ => new KvSlidingWindowRateLimiterOptions { PermitLimit = 2, Window = TimeSpan.FromMinutes(1) }));

        Assert.True((await limiter.AcquireAsync("a")).IsAcquired);
        Assert.True((await limiter.AcquireAsync("a")).IsAcquired);
        using RateLimitLease third = await limiter.AcquireAsync("a");
        Assert.True(RetryAfter(third) > TimeSpan.Zero);
        Assert.True((await limiter.AcquireAsync("b")).IsAcquired);
    }

    [Fact]
    public void Options_are_validated_when_a_limiter_is_created()
    {
        IAtomicKvStore store = Backend.Store(0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvFixedWindowRateLimiter(store, "k", new() { PermitLimit = 0, Window = TimeSpan.FromSeconds(1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvFixedWindowRateLimiter(store, "k", new() { PermitLimit = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvSlidingWindowRateLimiter(store, "k", new() { PermitLimit = 1, Window = TimeSpan.FromSeconds(1), SegmentsPerWindow = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvSlidingWindowRateLimiter(store, "k", new() { PermitLimit = 1, Window = TimeSpan.FromSeconds(1), SegmentsPerWindow = 1001 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvTokenBucketRateLimiter(store, "k", new() { TokenLimit = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvTokenBucketRateLimiter(store, "k", new() { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromDays(400) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KvFixedWindowRateLimiter(store, "k", new() { PermitLimit = 1, Window = TimeSpan.FromSeconds(1), FailureMode = (KvRateLimitFailureMode)7 }));
        Assert.ThrowsAny<ArgumentException>(() => new KvFixedWindowRateLimiter(store, null!, new() { PermitLimit = 1, Window = TimeSpan.FromSeconds(1) }));
    }

    [Fact]
    public async Task Decisions_are_counted_in_the_kv_metrics()
    {
        using var metrics = new KvAspNetCoreMetrics(meterFactory: null);
        using var collector = new MetricCollector(metrics.Meter);
        using var limiter = new KvTokenBucketRateLimiter(
            Backend.Store(0), NewPartition(), new() { TokenLimit = 1, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMinutes(1) }, metrics: metrics);

        (await limiter.AcquireAsync(1)).Dispose();
        (await limiter.AcquireAsync(1)).Dispose();

        Assert.Equal(1, collector.Sum("kv.ratelimit.decisions", ("kv.ratelimit.algorithm", "token_bucket"), ("kv.ratelimit.result", "acquired")));
        Assert.Equal(1, collector.Sum("kv.ratelimit.decisions", ("kv.ratelimit.algorithm", "token_bucket"), ("kv.ratelimit.result", "rejected")));
    }
}

public sealed class MemoryKvRateLimiterApiTests : KvRateLimiterApiTests
{
    protected override RateLimitBackend CreateBackend() => new MemoryRateLimitBackend();

    [Fact]
    public async Task A_store_without_the_capability_gets_the_portable_decisions()
    {
        // Checked once, at creation: a store that does not implement IKvRateLimitStore is not refused; its decisions are
        // a read and a version-checked commit through the public API, under an ordinary key of the limiter's namespace.
        var backend = new MemoryKv(new MemoryKvOptions(), Clock);
        IAtomicKvStore plain = new PortableKvAdaptor(backend, Clock).Namespace("ratelimit");
        Assert.False(plain is IKvRateLimitStore);
        using var limiter = new KvFixedWindowRateLimiter(plain, "k", new() { PermitLimit = 1, Window = TimeSpan.FromSeconds(1) });

        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        Assert.False((await limiter.AcquireAsync(1)).IsAcquired);
        Assert.Equal(["kv:rl:fw:k"], await plain.KeysAsync());
    }

    [Fact]
    public void The_public_rate_limiting_types_follow_the_api_conventions()
    {
        Type[] types = [.. typeof(KvFixedWindowRateLimiter).Assembly.GetExportedTypes().Concat(typeof(KvStoreBase).Assembly.GetExportedTypes())
            .Where(t => t.Name.Contains("RateLimit", StringComparison.Ordinal) || t.Name.Contains("Window", StringComparison.Ordinal) || t.Name.Contains("TokenBucket", StringComparison.Ordinal))];
        Assert.True(types.Length >= 15, string.Join(", ", types.Select(t => t.Name)));
        Assert.All(types, t =>
        {
            Assert.True(t.Namespace is "Kv" or "Kv.RateLimiting", $"{t} is in {t.Namespace}");
            Assert.True(!t.IsClass || t.IsSealed || t.IsAbstract, $"{t} is an unsealed concrete public class");
        });

        // The capability a backend implements, and its plain types, are the core's, in Kv.RateLimiting; the limiters are Kv's.
        Assert.All(
            [typeof(IKvRateLimitStore), typeof(KvRateLimitDecision), typeof(KvFixedWindowRequest), typeof(KvSlidingWindowRequest), typeof(KvTokenBucketRequest)],
            t => Assert.Equal(("Kv.RateLimiting", typeof(KvStoreBase).Assembly), (t.Namespace, t.Assembly)));
        Assert.All(typeof(KvStoreBase).Assembly.GetTypes().Where(t => t.Name.Contains("RateLimitAlgorithm", StringComparison.Ordinal)), t => Assert.Fail($"{t} is in the core"));

        MethodInfo[] asyncMethods = [.. typeof(IKvRateLimitStore).GetMethods().Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal))];
        Assert.All(asyncMethods, m =>
        {
            Assert.Equal(typeof(ValueTask<KvRateLimitDecision>), m.ReturnType);
            ParameterInfo last = m.GetParameters()[^1];
            Assert.Equal(typeof(CancellationToken), last.ParameterType);
            Assert.True(last.HasDefaultValue);
        });
    }
}

public sealed class RedisKvRateLimiterApiTests(RateLimitRedisFixture redis) : KvRateLimiterApiTests, IClassFixture<RateLimitRedisFixture>
{
    protected override RateLimitBackend CreateBackend() => new RedisRateLimitBackend(redis);
}
