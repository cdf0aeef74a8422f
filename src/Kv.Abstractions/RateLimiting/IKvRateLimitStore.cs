namespace Kv;

/// <summary>
/// Rate-limit decisions made inside a store: one atomic step per decision (one round trip on Redis), on state that
/// only the limiters see. <see cref="KvStoreBase"/> implements it for every backend; the limiters of
/// <c>Kv.AspNetCore</c> (<c>KvFixedWindowRateLimiter</c>, <c>KvSlidingWindowRateLimiter</c>,
/// <c>KvTokenBucketRateLimiter</c>) call it. Implement it yourself only to decorate a store (forward every member).
/// </summary>
/// <remarks>
/// <para>The state of a partition lives in the store's namespace under a reserved key,
/// <c>__kv:rl:</c> + an algorithm tag (<c>fw:</c>, <c>sw:</c>, <c>tb:</c>) + the partition key. User keys may never
/// start with <c>__</c>, so this state can never meet a user's entry, and listing, counting and sizes skip it. Every
/// such key has a TTL: it disappears once it holds nothing a later decision needs.</para>
/// <para>Time is the store's clock (the application's <see cref="TimeProvider"/>, sent to Redis with each decision),
/// so application instances sharing one store need synchronized clocks (NTP); a skew shows as that much drift of the
/// windows, never as a failure.</para>
/// <para>A partition key is any printable string (no control characters, no lone surrogates) of at most
/// <see cref="MaxPartitionKeyLength"/> characters; anything else throws <see cref="KvException"/> with <see cref="KvErrorCode.InvalidArgument"/>.</para>
/// </remarks>
public interface IKvRateLimitStore
{
    /// <summary>The longest partition key, in UTF-16 code units.</summary>
    const int MaxPartitionKeyLength = 200;

    /// <summary>
    /// Whether decisions complete synchronously (an in-process backend such as <c>MemoryKv</c>). Limiters answer the
    /// synchronous <c>RateLimiter.AttemptAcquire</c> only on such a store; elsewhere it would need sync-over-async.
    /// </summary>
    bool CompletesSynchronously { get; }

    /// <summary>Takes permits from the fixed window that contains now (windows are aligned to the Unix epoch).</summary>
    /// <param name="partitionKey">The partition (see the remarks of <see cref="IKvRateLimitStore"/>).</param>
    /// <param name="request">The permits and the limit.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the partition key is invalid (thrown before
    /// any I/O); <see cref="KvErrorCode.StoreOperationFailed"/>: the store failed.</exception>
    ValueTask<KvRateLimitDecision> AcquireFixedWindowAsync(string partitionKey, KvFixedWindowRequest request, CancellationToken cancellationToken = default);

    /// <summary>Takes permits from a sliding window (see <see cref="KvSlidingWindowRequest"/>).</summary>
    /// <param name="partitionKey">The partition (see the remarks of <see cref="IKvRateLimitStore"/>).</param>
    /// <param name="request">The permits, the limit, the window and its segments.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the partition key is invalid (thrown before
    /// any I/O); <see cref="KvErrorCode.StoreOperationFailed"/>: the store failed.</exception>
    ValueTask<KvRateLimitDecision> AcquireSlidingWindowAsync(string partitionKey, KvSlidingWindowRequest request, CancellationToken cancellationToken = default);

    /// <summary>Takes tokens from a token bucket (see <see cref="KvTokenBucketRequest"/>).</summary>
    /// <param name="partitionKey">The partition (see the remarks of <see cref="IKvRateLimitStore"/>).</param>
    /// <param name="request">The tokens, the bucket size and the refill rate.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the partition key is invalid (thrown before
    /// any I/O); <see cref="KvErrorCode.StoreOperationFailed"/>: the store failed.</exception>
    ValueTask<KvRateLimitDecision> AcquireTokenBucketAsync(string partitionKey, KvTokenBucketRequest request, CancellationToken cancellationToken = default);
}
