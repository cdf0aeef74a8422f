using System.Threading.RateLimiting;
using Kv.Internal;

namespace Kv;

/// <summary>
/// The base of Kv's rate limiters (<see cref="KvFixedWindowRateLimiter"/>, <see cref="KvSlidingWindowRateLimiter"/>,
/// <see cref="KvTokenBucketRateLimiter"/>): what they share once each has chosen its algorithm.
/// </summary>
/// <remarks>
/// <para>A Kv limiter keeps no permits itself: each decision is one atomic step in the store (one round trip on Redis),
/// so every limiter of the same partition, in this process or in another instance sharing the store, enforces one limit.
/// Its state lives in the store's namespace under a reserved key with a TTL.</para>
/// <para>Use <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/>. <see cref="RateLimiter.AttemptAcquire(int)"/>
/// answers only on an in-process store (MemoryKv); on any other it returns a lease that is not acquired, without I/O (a
/// synchronous decision would block a thread on the network), and ASP.NET Core's rate limiting middleware then calls
/// <c>AcquireAsync</c>. Nothing is queued: a request that does not fit is rejected at once, with
/// <see cref="MetadataName.RetryAfter"/> on the lease.</para>
/// <para>When the store fails or is full, <see cref="KvRateLimiterOptions.FailureMode"/> decides (admit by default); each
/// such decision is logged without the partition key.</para>
/// </remarks>
public abstract class KvRateLimiter : RateLimiter
{
    private readonly KvRateLimiterCore _core;

    private protected KvRateLimiter(KvRateLimiterCore core)
    {
        _core = core;
    }

    /// <summary>The time since this limiter's last decision: its state lives in the store, so a partitioned limiter may drop
    /// it whenever it likes.</summary>
    public override TimeSpan? IdleDuration => _core.IdleDuration;

    /// <summary>Statistics of this limiter object: the permits left as the last decision saw them (the store's count,
    /// shared with every instance), and the leases this object granted and refused. Nothing is ever queued.</summary>
    /// <returns>The statistics.</returns>
    public override RateLimiterStatistics? GetStatistics() => _core.GetStatistics();

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => _core.AttemptAcquire(permitCount);

    /// <inheritdoc />
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        _core.AcquireAsync(permitCount, cancellationToken);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _core.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    /// <remarks>RateLimiter.DisposeAsync calls this, then <c>Dispose(false)</c>: the limiter is disposed here, as the
    /// built-in limiters do.</remarks>
    protected override ValueTask DisposeAsyncCore()
    {
        _core.Dispose();
        return base.DisposeAsyncCore();
    }
}
