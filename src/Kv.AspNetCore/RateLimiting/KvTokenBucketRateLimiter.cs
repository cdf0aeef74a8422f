using System.Threading.RateLimiting;
using Kv.Internal;
using Microsoft.Extensions.Logging;

namespace Kv;

/// <summary>
/// A token-bucket rate limiter whose bucket lives in a Kv store: bursts of at most
/// <see cref="KvTokenBucketRateLimiterOptions.TokenLimit"/>, refilled with
/// <see cref="KvTokenBucketRateLimiterOptions.TokensPerPeriod"/> every <see cref="KvTokenBucketRateLimiterOptions.ReplenishmentPeriod"/>,
/// across every instance sharing the store (see <see cref="KvTokenBucketRequest"/>).
/// </summary>
/// <remarks>
/// <para>The limiter keeps no permits itself: each decision is one atomic step in the store
/// (<see cref="IKvRateLimitStore.AcquireTokenBucketAsync"/>; one round trip on Redis), so every limiter of the same partition, in
/// this process or in another instance sharing the store, enforces one limit. Its state lives in the store's
/// namespace under a reserved key with a TTL.</para>
/// <para>Use <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/>. <see cref="RateLimiter.AttemptAcquire(int)"/>
/// answers only on an in-process store (MemoryKv); on any other it returns a lease that is not acquired, without
/// I/O (a synchronous decision would block a thread on the network), and ASP.NET Core's rate limiting middleware then
/// calls <c>AcquireAsync</c>. Nothing is queued: a request that does not fit is rejected at once, with
/// <see cref="MetadataName.RetryAfter"/> on the lease.</para>
/// <para>When the store fails, <see cref="KvRateLimiterOptions.FailureMode"/> decides (admit by default); each such
/// decision is logged without the partition key.</para>
/// </remarks>
public sealed class KvTokenBucketRateLimiter : RateLimiter
{
    private readonly KvRateLimiterCore _core;

    /// <summary>Creates a limiter for one partition.</summary>
    /// <param name="store">The store that holds the state: any store of a Kv adaptor (or a decorator implementing
    /// <see cref="IKvRateLimitStore"/>).</param>
    /// <param name="partitionKey">The partition, e.g. a client's address. Limiters with the same store, partition key and
    /// algorithm share their permits; give different limits different keys or namespaces. Any string: long or
    /// unprintable keys are hashed.</param>
    /// <param name="options">The options; validated now.</param>
    /// <param name="loggerFactory">For the logs of store failures and rejections; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock of <see cref="IdleDuration"/>; <see langword="null"/> for
    /// <see cref="TimeProvider.System"/>. Windows and refills run on the store's clock (its adaptor's TimeProvider).</param>
    /// <param name="metrics">Where decisions are counted (<c>kv.ratelimit.decisions</c>); <see langword="null"/> for nowhere.
    /// The partition helpers pass the registered <see cref="KvMetrics"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the store cannot make rate-limit decisions.</exception>
    public KvTokenBucketRateLimiter(IAtomicKvStore store, string partitionKey, KvTokenBucketRateLimiterOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, KvMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int limit = options.TokenLimit;
        TimeSpan period = options.ReplenishmentPeriod;
        int perPeriod = options.TokensPerPeriod;
        Func<IKvRateLimitStore, string, int, CancellationToken, ValueTask<KvRateLimitDecision>> decide =
            (s, key, permits, token) => s.AcquireTokenBucketAsync(key, new KvTokenBucketRequest(permits, limit, period, perPeriod), token);
        _core = new KvRateLimiterCore("token_bucket", store, partitionKey, options, decide, loggerFactory, timeProvider, metrics);
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
