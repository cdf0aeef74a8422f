using System.Globalization;
using System.Text;

namespace Kv;

// Rate limiting: decisions run inside the backend, one atomic step (one round trip on Redis) each.
public abstract partial class KvStoreBase : IKvRateLimitStore
{
    /// <summary>The prefix of every rate limiter's state key; reserved (user keys cannot start with <c>__</c>).</summary>
    internal const string RateLimitKeyPrefix = "__kv:rl:";

    // The portable default retries a lost optimistic commit this many times before it reports the contention.
    private const int RateLimitCommitAttempts = 100;

    bool IKvRateLimitStore.CompletesSynchronously => RateLimitDecisionsCompleteSynchronously;

    /// <summary>
    /// Whether this backend's rate-limit decisions complete synchronously (it runs in process). Limiters answer the
    /// synchronous <c>RateLimiter.AttemptAcquire</c> only when it is <see langword="true"/>. The default is
    /// <see langword="false"/>.
    /// </summary>
    protected virtual bool RateLimitDecisionsCompleteSynchronously => false;

    ValueTask<KvRateLimitDecision> IKvRateLimitStore.AcquireFixedWindowAsync(string partitionKey, KvFixedWindowRequest request, CancellationToken cancellationToken)
    {
        string stateKey = RateLimitStateKey("fw:", partitionKey);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return AcquireFixedWindowCoreAsync(stateKey, request, cancellationToken);
    }

    ValueTask<KvRateLimitDecision> IKvRateLimitStore.AcquireSlidingWindowAsync(string partitionKey, KvSlidingWindowRequest request, CancellationToken cancellationToken)
    {
        string stateKey = RateLimitStateKey("sw:", partitionKey);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return AcquireSlidingWindowCoreAsync(stateKey, request, cancellationToken);
    }

    ValueTask<KvRateLimitDecision> IKvRateLimitStore.AcquireTokenBucketAsync(string partitionKey, KvTokenBucketRequest request, CancellationToken cancellationToken)
    {
        string stateKey = RateLimitStateKey("tb:", partitionKey);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return AcquireTokenBucketCoreAsync(stateKey, request, cancellationToken);
    }

    /// <summary>
    /// Makes a fixed-window decision (see <see cref="KvFixedWindowRequest"/>): exact, and a rejected request takes
    /// nothing. The default works on any backend that reports versions and commits transactions, as
    /// <see cref="AcquireSlidingWindowCoreAsync"/>'s does, with <see cref="DecideFixedWindow"/>; a backend overrides it
    /// to make one atomic step (Redis: one Lua script).
    /// </summary>
    /// <param name="stateKey">The partition's reserved state key in this namespace (starts with <c>__kv:rl:</c>).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    protected internal virtual ValueTask<KvRateLimitDecision> AcquireFixedWindowCoreAsync(string stateKey, KvFixedWindowRequest request, CancellationToken cancellationToken) =>
        DecideOptimisticallyAsync(stateKey, request, static (state, r, now) => KvRateLimitAlgorithms.DecideFixedWindow(state, r, now), cancellationToken);

    /// <summary>
    /// Makes a sliding-window decision (see <see cref="KvSlidingWindowRequest"/>). The default works on any backend
    /// that reports versions and commits transactions: it reads the state with its version, decides with
    /// <see cref="DecideSlidingWindow"/>, and commits the new state only if the version still holds, retrying a lost
    /// race. That is two round trips; a backend overrides it to make one atomic step (Redis: one Lua script).
    /// </summary>
    /// <param name="stateKey">The partition's reserved state key in this namespace (starts with <c>__kv:rl:</c>).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    protected internal virtual ValueTask<KvRateLimitDecision> AcquireSlidingWindowCoreAsync(string stateKey, KvSlidingWindowRequest request, CancellationToken cancellationToken) =>
        DecideOptimisticallyAsync(stateKey, request, static (state, r, now) => KvRateLimitAlgorithms.DecideSlidingWindow(state, r, now), cancellationToken);

    /// <summary>
    /// Makes a token-bucket decision (see <see cref="KvTokenBucketRequest"/>). The default is optimistic, as
    /// <see cref="AcquireSlidingWindowCoreAsync"/>'s is, with <see cref="DecideTokenBucket"/>.
    /// </summary>
    /// <param name="stateKey">The partition's reserved state key in this namespace (starts with <c>__kv:rl:</c>).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The decision.</returns>
    protected internal virtual ValueTask<KvRateLimitDecision> AcquireTokenBucketCoreAsync(string stateKey, KvTokenBucketRequest request, CancellationToken cancellationToken) =>
        DecideOptimisticallyAsync(stateKey, request, static (state, r, now) => KvRateLimitAlgorithms.DecideTokenBucket(state, r, now), cancellationToken);

    /// <summary>
    /// The fixed-window algorithm as a pure function, for a backend that runs it in process: one state per partition
    /// (<c>windowIndex:count</c>); a rejected request counts nothing. Apply the returned <see cref="KvRateLimitStateChange"/> atomically with the read of
    /// <paramref name="state"/>.
    /// </summary>
    /// <param name="state">The stored state, or <see langword="null"/> when there is none (or it expired).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="nowUnixMilliseconds">Now, in Unix milliseconds, on the application's clock.</param>
    /// <returns>The decision and the state to store.</returns>
    protected static KvRateLimitStateChange DecideFixedWindow(string? state, KvFixedWindowRequest request, long nowUnixMilliseconds) =>
        KvRateLimitAlgorithms.DecideFixedWindow(state, request, nowUnixMilliseconds);

    /// <summary>
    /// The sliding-window algorithm as a pure function, for a backend that runs it in process: apply the returned
    /// <see cref="KvRateLimitStateChange"/> atomically with the read of <paramref name="state"/>.
    /// </summary>
    /// <param name="state">The stored state, or <see langword="null"/> when there is none (or it expired).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="nowUnixMilliseconds">Now, in Unix milliseconds, on the application's clock.</param>
    /// <returns>The decision and the state to store.</returns>
    protected static KvRateLimitStateChange DecideSlidingWindow(string? state, KvSlidingWindowRequest request, long nowUnixMilliseconds) =>
        KvRateLimitAlgorithms.DecideSlidingWindow(state, request, nowUnixMilliseconds);

    /// <summary>The token-bucket algorithm as a pure function (see <see cref="DecideSlidingWindow"/>).</summary>
    /// <param name="state">The stored state, or <see langword="null"/> when there is none (or it expired).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="nowUnixMilliseconds">Now, in Unix milliseconds, on the application's clock.</param>
    /// <returns>The decision and the state to store.</returns>
    protected static KvRateLimitStateChange DecideTokenBucket(string? state, KvTokenBucketRequest request, long nowUnixMilliseconds) =>
        KvRateLimitAlgorithms.DecideTokenBucket(state, request, nowUnixMilliseconds);

    /// <summary>Encodes a limiter state as a stored payload (a JSON string, so the store's payloads stay JSON).</summary>
    /// <param name="state">The state from <see cref="KvRateLimitStateChange.NewState"/>.</param>
    /// <returns>The payload.</returns>
    protected static byte[] EncodeRateLimitState(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Encoding.ASCII.GetBytes("\"" + state + "\"");
    }

    /// <summary>Decodes a payload written by <see cref="EncodeRateLimitState"/>.</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>The state.</returns>
    protected static string DecodeRateLimitState(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return payload.Length >= 2 && payload[0] == (byte)'"' && payload[^1] == (byte)'"'
            ? Encoding.ASCII.GetString(payload, 1, payload.Length - 2)
            : throw new KvException(KvErrorCode.StoreOperationFailed, "A rate limiter's state in the store is not in the format Kv writes.");
    }

    private static string RateLimitStateKey(string algorithm, string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);

        // The state key is valid under every key rule except the reserved prefix exactly when this is a valid key.
        if (partitionKey.Length > IKvRateLimitStore.MaxPartitionKeyLength || !KvKeyRules.IsValidKey("kv:rl:" + partitionKey))
        {
            throw new KvException(
                KvErrorCode.InvalidArgument,
                $"A partition key is 1 to {IKvRateLimitStore.MaxPartitionKeyLength} printable characters (no control characters or lone surrogates).");
        }

        return RateLimitKeyPrefix + algorithm + partitionKey;
    }

    private async ValueTask<KvRateLimitDecision> DecideOptimisticallyAsync<TRequest>(
        string stateKey,
        TRequest request,
        Func<string?, TRequest, long, KvRateLimitStateChange> decide,
        CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < RateLimitCommitAttempts; attempt++)
        {
            KvValue current = await GetCoreAsync(stateKey, includeDetails: true, cancellationToken).ConfigureAwait(false);
            string? state = current.HasValue ? (current.Decoded as string ?? DecodeRateLimitState(current.Payload!)) : null;
            KvRateLimitStateChange change = decide(state, request, TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
            if (change.NewState is null)
            {
                return change.Decision;
            }

            KvTransactionOperation[] operations =
            [
                KvTransactionOperation.CreateCheck(NamespacePath, stateKey, current.HasValue ? current.Version : null),
                KvTransactionOperation.CreateSet(NamespacePath, stateKey, new KvValue(EncodeRateLimitState(change.NewState), change.NewState), change.NewStateTtl),
            ];
            KvCommitResult result = await CommitCoreAsync(operations, cancellationToken).ConfigureAwait(false);
            if (result.Applied)
            {
                return change.Decision;
            }

            // Another instance changed the state between the read and the commit: decide again on the new state.
            await Task.Yield();
        }

        throw new KvException(
            KvErrorCode.StoreOperationFailed,
            string.Create(CultureInfo.InvariantCulture, $"A rate limiter's state changed under {RateLimitCommitAttempts} optimistic commits in a row; the backend should override the rate-limit decisions to make them atomic."));
    }
}
