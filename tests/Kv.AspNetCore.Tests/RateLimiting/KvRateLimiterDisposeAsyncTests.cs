using System.Threading.RateLimiting;
using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// <see cref="RateLimiter.DisposeAsync"/> must dispose a Kv limiter as <see cref="RateLimiter.Dispose()"/> does.
/// The base class's DisposeAsync calls <c>DisposeAsyncCore()</c> then <c>Dispose(false)</c>; the built-in limiters
/// override DisposeAsyncCore to call <c>Dispose(true)</c>. PartitionedRateLimiter disposes its limiters this way.
/// </summary>
public sealed class KvRateLimiterDisposeAsyncTests
{
    private readonly MemoryKv _kv = new(new MemoryKvOptions(), new FakeTimeProvider());

    public static TheoryData<string> Algorithms => new() { "fixed", "sliding", "bucket" };

    private RateLimiter Create(string algorithm)
    {
        IAtomicKvStore store = _kv.Namespace("ratelimit");
        string partition = "p-" + Guid.NewGuid().ToString("N");
        return algorithm switch
        {
            "fixed" => new KvFixedWindowRateLimiter(store, partition, new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) }),
            "sliding" => new KvSlidingWindowRateLimiter(store, partition, new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) }),
            _ => new KvTokenBucketRateLimiter(store, partition, new() { TokenLimit = 5, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMinutes(1) }),
        };
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task DisposeAsync_disposes_the_limiter_like_Dispose(string algorithm)
    {
        RateLimiter limiter = Create(algorithm);
        await limiter.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await limiter.AcquireAsync(1));
        Assert.Throws<ObjectDisposedException>(() => limiter.AttemptAcquire(1));
    }

    [Fact]
    public async Task The_built_in_limiter_behaves_the_same_way_for_comparison()
    {
        var builtIn = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromMinutes(1) });
        await builtIn.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await builtIn.AcquireAsync(1));
    }
}
