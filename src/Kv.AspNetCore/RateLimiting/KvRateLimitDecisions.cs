using System.Globalization;
using Kv.RateLimiting;

namespace Kv.Internal;

/// <summary>
/// Where a limiter's decisions are made, chosen once when the limiter is created (as HybridCache checks for
/// <c>IBufferDistributedCache</c>): a store that implements <see cref="IKvRateLimitStore"/> decides in one atomic step
/// of its own; any other <see cref="IAtomicKvStore"/> gets the portable decision here, on its public API.
/// </summary>
internal static class KvRateLimitDecisions
{
    /// <summary>The prefix of a partition's reserved state key on a store with the capability.</summary>
    public const string ReservedStatePrefix = "__kv:rl:";

    /// <summary>
    /// The prefix of a partition's state key on a store without it: the public API refuses reserved keys, so the state
    /// is an ordinary key of the limiter's namespace (the <c>ratelimit</c> namespace by default).
    /// </summary>
    public const string PortableStatePrefix = "kv:rl:";

    // The portable decision retries a lost optimistic commit this many times before it reports the contention.
    private const int CommitAttempts = 100;

    /// <summary>The decision function of one partition, and whether its decisions complete synchronously.</summary>
    /// <param name="store">The limiter's store.</param>
    /// <param name="tag">The algorithm's tag: <c>fw:</c>, <c>sw:</c> or <c>tb:</c>.</param>
    /// <param name="partition">The partition key, already a valid key suffix (hashed when long or unprintable).</param>
    /// <param name="request">The request for a permit count.</param>
    /// <param name="atomic">The capability's call for this algorithm.</param>
    /// <param name="decide">The algorithm (KvRateLimitAlgorithms), for the portable decision.</param>
    public static (Func<int, CancellationToken, ValueTask<KvRateLimitDecision>> Decide, bool CompletesSynchronously) Create<TRequest>(
        IAtomicKvStore store,
        string tag,
        string partition,
        Func<int, TRequest> request,
        Func<IKvRateLimitStore, string, TRequest, CancellationToken, ValueTask<KvRateLimitDecision>> atomic,
        Func<string?, TRequest, long, KvRateLimitStateChange> decide)
    {
        if (store is IKvRateLimitStore capable)
        {
            string stateKey = ReservedStatePrefix + tag + partition;
            return ((permits, token) => atomic(capable, stateKey, request(permits), token), capable.CompletesSynchronously);
        }

        string key = PortableStatePrefix + tag + partition;
        return ((permits, token) => DecideOptimisticallyAsync(store, key, request(permits), decide, token), false);
    }

    // Reads the state with its version, decides, and commits the new state only if the version still holds; a lost race
    // decides again on what the winner wrote. Two round trips per decision, and under heavy contention across processes
    // it can run out of attempts: a backend shared by many writers implements IKvRateLimitStore instead.
    private static async ValueTask<KvRateLimitDecision> DecideOptimisticallyAsync<TRequest>(
        IAtomicKvStore store,
        string key,
        TRequest request,
        Func<string?, TRequest, long, KvRateLimitStateChange> decide,
        CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < CommitAttempts; attempt++)
        {
            KvEntry<string>? current = await store.GetEntryAsync<string>(key, cancellationToken).ConfigureAwait(false);
            KvRateLimitStateChange change = decide(current?.Value, request, store.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
            if (change.NewState is null)
            {
                return change.Decision;
            }

            KvCommitResult result = await store.CreateTransaction()
                .Check(store, key, current?.Version)
                .Set(store, key, change.NewState, new KvSetOptions { Ttl = change.NewStateTtl })
                .CommitAsync(cancellationToken)
                .ConfigureAwait(false);
            if (result.Applied)
            {
                return change.Decision;
            }

            // Another instance changed the state between the read and the commit: decide again on the new state.
            await Task.Yield();
        }

        throw new KvException(
            KvErrorCode.StoreOperationFailed,
            string.Create(
                CultureInfo.InvariantCulture,
                $"A rate limiter's state changed under {CommitAttempts} optimistic commits in a row; a backend shared by many writers should implement IKvRateLimitStore (Kv.RateLimiting) to decide in one atomic step."));
    }
}
