using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>What a limiter does when its store is down: fail open (the default) or fail closed, logged without the key.</summary>
public sealed class KvRateLimiterFailureTests
{
    private const string Partition = "203.0.113.7";

    public static TheoryData<string> Algorithms() => ["fixed_window", "sliding_window", "token_bucket"];

    internal static RateLimiter Create(string algorithm, IAtomicKvStore store, string partition, KvRateLimitFailureMode mode, int limit = 5, RateLimitLogCollector? logs = null, KvAspNetCoreMetrics? metrics = null) =>
        algorithm switch
        {
            "fixed_window" => new KvFixedWindowRateLimiter(store, partition, new() { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), FailureMode = mode }, logs, metrics: metrics),
            "sliding_window" => new KvSlidingWindowRateLimiter(store, partition, new() { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), FailureMode = mode }, logs, metrics: metrics),
            _ => new KvTokenBucketRateLimiter(store, partition, new() { TokenLimit = limit, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(1), FailureMode = mode }, logs, metrics: metrics),
        };

    [Fact]
    public void Fail_open_is_the_default()
    {
        Assert.Equal(KvRateLimitFailureMode.FailOpen, new KvFixedWindowRateLimiterOptions().FailureMode);
        Assert.Equal(KvRateLimitFailureMode.FailOpen, new KvSlidingWindowRateLimiterOptions().FailureMode);
        Assert.Equal(KvRateLimitFailureMode.FailOpen, new KvTokenBucketRateLimiterOptions().FailureMode);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Fail_open_admits_logs_a_warning_and_counts_the_decision(string algorithm)
    {
        var logs = new RateLimitLogCollector();
        using var metrics = new KvAspNetCoreMetrics(meterFactory: null);
        using var collector = new MetricCollector(metrics.Meter);
        using RateLimiter limiter = Create(algorithm, FailingRateLimitStore.Create(), Partition, KvRateLimitFailureMode.FailOpen, logs: logs, metrics: metrics);

        using RateLimitLease asynchronous = await limiter.AcquireAsync(1);
        using RateLimitLease synchronous = limiter.AttemptAcquire(1);

        Assert.True(asynchronous.IsAcquired);
        Assert.True(synchronous.IsAcquired);
        Assert.Equal(2, limiter.GetStatistics()!.TotalSuccessfulLeases);
        (Microsoft.Extensions.Logging.EventId id, Microsoft.Extensions.Logging.LogLevel level, string message)[] events = [.. logs.Events];
        Assert.Equal(2, events.Length);
        Assert.All(events, e =>
        {
            Assert.Equal(4101, e.id.Id);
            Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, e.level);
            Assert.Contains("IOException", e.message, StringComparison.Ordinal);
            Assert.DoesNotContain(Partition, e.message, StringComparison.Ordinal);
        });
        Assert.Equal(2, collector.Sum("kv.ratelimit.decisions", ("kv.ratelimit.result", "failed_open"), ("kv.ratelimit.algorithm", algorithm)));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Fail_closed_rejects_with_a_reason_and_logs_a_warning(string algorithm)
    {
        var logs = new RateLimitLogCollector();
        using RateLimiter limiter = Create(algorithm, FailingRateLimitStore.Create(synchronous: false), Partition, KvRateLimitFailureMode.FailClosed, logs: logs);

        using RateLimitLease lease = await limiter.AcquireAsync(1);

        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.ReasonPhrase, out string? reason));
        Assert.Contains("store failed", reason, StringComparison.Ordinal);
        Assert.Equal(1, limiter.GetStatistics()!.TotalFailedLeases);
        var logged = Assert.Single(logs.Events);
        Assert.Equal(4102, logged.EventId.Id);
        Assert.DoesNotContain(Partition, logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_not_a_store_failure()
    {
        using RateLimiter limiter = Create("fixed_window", FailingRateLimitStore.Create(), Partition, KvRateLimitFailureMode.FailOpen);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await limiter.AcquireAsync(1, cancelled.Token));
    }
}

/// <summary>The same against a real redis-server that stops: fail open and fail closed, and recovery once it is back.</summary>
public sealed class RedisKvRateLimiterFailureTests(RateLimitRedisFixture redis) : IClassFixture<RateLimitRedisFixture>
{
    [Theory]
    [InlineData("fixed_window", KvRateLimitFailureMode.FailOpen)]
    [InlineData("sliding_window", KvRateLimitFailureMode.FailClosed)]
    [InlineData("token_bucket", KvRateLimitFailureMode.FailClosed)]
    public async Task A_stopped_server_follows_the_failure_mode_and_recovery_follows_the_server(string algorithm, KvRateLimitFailureMode mode)
    {
        var logs = new RateLimitLogCollector();
        await using RedisKv kv = redis.CreateAdaptor(RateLimitRedisFixture.NewInstanceName(), TimeProvider.System, operationTimeout: TimeSpan.FromSeconds(2));
        string partition = "198.51.100." + Random.Shared.Next(1, 255);
        using RateLimiter limiter = KvRateLimiterFailureTests.Create(algorithm, kv.Namespace("ratelimit"), partition, mode, limit: 1, logs: logs);
        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        Assert.False((await limiter.AcquireAsync(1)).IsAcquired);

        await redis.Server.StopAsync();
        try
        {
            using RateLimitLease lease = await limiter.AcquireAsync(1);
            Assert.Equal(mode == KvRateLimitFailureMode.FailOpen, lease.IsAcquired);
            var logged = Assert.Single(logs.Events, e => e.EventId.Id is 4101 or 4102);
            Assert.Equal(mode == KvRateLimitFailureMode.FailOpen ? 4101 : 4102, logged.EventId.Id);
            Assert.DoesNotContain(partition, logged.Message, StringComparison.Ordinal);
        }
        finally
        {
            await redis.Server.RestartAsync();
        }

        // Persistence is off: the restarted server has no state, so the partition starts afresh once reconnected.
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int failures = StoreFailures(logs);
            using RateLimitLease lease = await limiter.AcquireAsync(1);
            if (StoreFailures(logs) == failures)
            {
                Assert.True(lease.IsAcquired);
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The store made no decision after the server was back.");
    }

    private static int StoreFailures(RateLimitLogCollector logs) => logs.Events.Count(e => e.EventId.Id is 4101 or 4102);
}
