namespace Kv.RateLimiting;

/// <summary>
/// An optional capability of a store: it decides a rate limit in one atomic step (one round trip on Redis, one
/// transaction on SQLite, one compare-and-swap in memory). The limiters of <c>Kv.AspNetCore</c>
/// (<c>KvFixedWindowRateLimiter</c>, <c>KvSlidingWindowRateLimiter</c>, <c>KvTokenBucketRateLimiter</c>) check for it
/// once, when they are created, as HybridCache checks for <c>IBufferDistributedCache</c>: a store that implements it
/// decides there; any other <see cref="IAtomicKvStore"/> gets Kv.AspNetCore's portable decisions (a read and a
/// version-checked commit, retried when another instance won the race).
/// </summary>
/// <remarks>
/// <para>Only this declaration and its plain request and decision types live in Kv.Abstractions, because backends
/// reference nothing else and must be able to implement it. The algorithms, partition keys, options, validation and
/// the portable fallback all live in Kv.AspNetCore. Users never call it: it is for backend authors.</para>
/// <para>The limiter passes a <c>stateKey</c> that it composed: a reserved key (<c>__kv:rl:</c>, an algorithm tag
/// <c>fw:</c>, <c>sw:</c> or <c>tb:</c>, then the partition) that is valid under every key rule but the reserved
/// prefix. Keep the partition's state under it in the store's namespace, with a TTL after which it means nothing
/// (as the requests say), and keep it out of listings, counts and sizes, as every reserved key. Requests arrive
/// validated, in whole milliseconds.</para>
/// <para>Time is the store's clock (the adaptor's <see cref="TimeProvider"/>; sent to Redis with each decision), so
/// application instances sharing one store need synchronized clocks (NTP); a skew shows as that much drift of the
/// windows, never as a failure. A failure of the store is a <see cref="KvException"/> with
/// <see cref="KvErrorCode.StoreOperationFailed"/> (or <see cref="KvErrorCode.CapacityExceeded"/> for a full store),
/// through the returned task.</para>
/// </remarks>
public interface IKvRateLimitStore
{
    /// <summary>
    /// Whether decisions complete synchronously (an in-process backend such as <c>MemoryKv</c>). Limiters answer the
    /// synchronous <c>RateLimiter.AttemptAcquire</c> only on such a store; elsewhere it would need sync-over-async.
    /// </summary>
    bool CompletesSynchronously { get; }

    /// <summary>Takes permits from the fixed window that contains now (see <see cref="KvFixedWindowRequest"/>).</summary>
    /// <param name="stateKey">The partition's reserved state key (see the remarks of <see cref="IKvRateLimitStore"/>).</param>
    /// <param name="request">The permits and the limit.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    ValueTask<KvRateLimitDecision> AcquireFixedWindowAsync(string stateKey, KvFixedWindowRequest request, CancellationToken cancellationToken = default);

    /// <summary>Takes permits from a sliding window (see <see cref="KvSlidingWindowRequest"/>).</summary>
    /// <param name="stateKey">The partition's reserved state key (see the remarks of <see cref="IKvRateLimitStore"/>).</param>
    /// <param name="request">The permits, the limit and the segments.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    ValueTask<KvRateLimitDecision> AcquireSlidingWindowAsync(string stateKey, KvSlidingWindowRequest request, CancellationToken cancellationToken = default);

    /// <summary>Takes tokens from a token bucket (see <see cref="KvTokenBucketRequest"/>).</summary>
    /// <param name="stateKey">The partition's reserved state key (see the remarks of <see cref="IKvRateLimitStore"/>).</param>
    /// <param name="request">The tokens, the bucket size and the refill rate.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    ValueTask<KvRateLimitDecision> AcquireTokenBucketAsync(string stateKey, KvTokenBucketRequest request, CancellationToken cancellationToken = default);
}
