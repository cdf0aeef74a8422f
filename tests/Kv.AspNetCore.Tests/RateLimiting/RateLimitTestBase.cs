using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>The base of the limiter test classes: a fresh backend (and fake clock) per test.</summary>
public abstract class RateLimitTestBase : IAsyncLifetime
{
    protected RateLimitBackend Backend { get; private set; } = null!;

    protected FakeTimeProvider Clock => Backend.Clock;

    protected abstract RateLimitBackend CreateBackend();

    public Task InitializeAsync()
    {
        Backend = CreateBackend();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Backend.DisposeAsync();

    protected static string NewPartition() => "client-" + Guid.NewGuid().ToString("N")[..8];

    protected static TimeSpan RetryAfter(RateLimitLease lease)
    {
        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter), "a rejected lease carries RetryAfter");
        return retryAfter;
    }

    protected static async Task<int> AcquireAllAsync(RateLimiter limiter, int max = 1000)
    {
        int acquired = 0;
        while (acquired < max)
        {
            using RateLimitLease lease = await limiter.AcquireAsync(1);
            if (!lease.IsAcquired)
            {
                break;
            }

            acquired++;
        }

        return acquired;
    }
}
