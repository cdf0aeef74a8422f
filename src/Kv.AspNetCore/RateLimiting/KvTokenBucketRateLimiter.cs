using System.Threading.RateLimiting;
using Kv.Internal;
using Kv.RateLimiting;
using Microsoft.Extensions.Logging;

namespace Kv;

/// <summary>
/// A token-bucket rate limiter whose bucket lives in a Kv store: bursts of at most
/// <see cref="KvTokenBucketRateLimiterOptions.TokenLimit"/>, refilled with
/// <see cref="KvTokenBucketRateLimiterOptions.TokensPerPeriod"/> every <see cref="KvTokenBucketRateLimiterOptions.ReplenishmentPeriod"/>,
/// across every instance sharing the store (see <see cref="KvTokenBucketRequest"/>).
/// </summary>
/// <remarks>See <see cref="KvRateLimiter"/> for how every Kv limiter decides, fails and is used.</remarks>
public sealed class KvTokenBucketRateLimiter : KvRateLimiter
{
    /// <summary>Creates a limiter for one partition.</summary>
    /// <param name="store">The store that holds the state: any store of a Kv adaptor (or any <see cref="IAtomicKvStore"/>: one that implements
    /// <see cref="IKvRateLimitStore"/> decides in one atomic step, any other by a version-checked commit).</param>
    /// <param name="partitionKey">The partition, e.g. a client's address. Limiters with the same store, partition key and
    /// algorithm share their permits; give different limits different keys or namespaces. Any string: long or
    /// unprintable keys are hashed.</param>
    /// <param name="options">The options; validated now.</param>
    /// <param name="loggerFactory">For the logs of store failures and rejections; <see langword="null"/> for none.</param>
    /// <param name="timeProvider">The clock of <see cref="KvRateLimiter.IdleDuration"/>; <see langword="null"/> for
    /// <see cref="TimeProvider.System"/>. Windows and refills run on the store's clock (its adaptor's TimeProvider).</param>
    /// <param name="metrics">Where decisions are counted (<c>kv.ratelimit.decisions</c>); <see langword="null"/> for nowhere.
    /// The partition helpers pass the registered <see cref="KvAspNetCoreMetrics"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public KvTokenBucketRateLimiter(IAtomicKvStore store, string partitionKey, KvTokenBucketRateLimiterOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, KvAspNetCoreMetrics? metrics = null)
        : base(CreateCore(store, partitionKey, options, loggerFactory, timeProvider, metrics))
    {
    }

    private static KvRateLimiterCore CreateCore(IAtomicKvStore store, string partitionKey, KvTokenBucketRateLimiterOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, KvAspNetCoreMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int limit = options.TokenLimit;
        long period = KvRateLimiterOptions.Milliseconds(options.ReplenishmentPeriod);
        int perPeriod = options.TokensPerPeriod;
        return KvRateLimiterCore.Create(
            KvOperationNames.TokenBucket,
            "tb:",
            store,
            partitionKey,
            options,
            permits => new KvTokenBucketRequest(permits, limit, period, perPeriod),
            static (s, key, request, token) => s.AcquireTokenBucketAsync(key, request, token),
            static (state, request, now) => KvRateLimitAlgorithms.DecideTokenBucket(state, request, now),
            loggerFactory,
            timeProvider,
            metrics);
    }
}
