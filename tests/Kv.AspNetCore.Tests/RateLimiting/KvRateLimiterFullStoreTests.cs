using System.Threading.RateLimiting;
using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// a store that cannot hold the limiter's state (MemoryKv at MaxEntries: CapacityExceeded; on Redis the same
/// situation, maxmemory, arrives as StoreOperationFailed) must follow the limiter's FailureMode like any other store
/// failure, not surface as an exception from AcquireAsync (a 500 from the rate limiting middleware).
/// </summary>
public sealed class KvRateLimiterFullStoreTests
{
    [Theory]
    [InlineData(KvRateLimitFailureMode.FailOpen, true)]
    [InlineData(KvRateLimitFailureMode.FailClosed, false)]
    public async Task A_full_memory_store_follows_the_failure_mode(KvRateLimitFailureMode mode, bool admitted)
    {
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 1 }, new FakeTimeProvider());
        await kv.Namespace("app").SetAsync("the-only-entry", 1);
        using var limiter = new KvFixedWindowRateLimiter(
            kv.Namespace("ratelimit"), "client", new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(1), FailureMode = mode });

        using RateLimitLease lease = await limiter.AcquireAsync(1);
        using RateLimitLease attempted = limiter.AttemptAcquire(1);

        Assert.Equal(admitted, lease.IsAcquired);
        Assert.Equal(admitted, attempted.IsAcquired);
    }
}
