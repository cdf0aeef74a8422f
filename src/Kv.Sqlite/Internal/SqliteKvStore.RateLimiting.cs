using Kv.RateLimiting;

namespace Kv.Internal;

// Rate-limit decisions on SQLite: each one reads the partition's state, decides and stores the new state inside one
// write (one BEGIN IMMEDIATE transaction, holding the file's write lock), so it is exact across processes with no
// optimistic retry. The state key is a reserved key of the namespace: never listed or counted, and it expires by its TTL.
internal sealed partial class SqliteKvStore : IKvRateLimitStore
{
    public bool CompletesSynchronously => false;

    public ValueTask<KvRateLimitDecision> AcquireFixedWindowAsync(string stateKey, KvFixedWindowRequest request, CancellationToken cancellationToken) =>
        DecideAsync(KvOperationNames.FixedWindow, stateKey, (state, now) => KvRateLimitAlgorithms.DecideFixedWindow(state, request, now), cancellationToken);

    public ValueTask<KvRateLimitDecision> AcquireSlidingWindowAsync(string stateKey, KvSlidingWindowRequest request, CancellationToken cancellationToken) =>
        DecideAsync(KvOperationNames.SlidingWindow, stateKey, (state, now) => KvRateLimitAlgorithms.DecideSlidingWindow(state, request, now), cancellationToken);

    public ValueTask<KvRateLimitDecision> AcquireTokenBucketAsync(string stateKey, KvTokenBucketRequest request, CancellationToken cancellationToken) =>
        DecideAsync(KvOperationNames.TokenBucket, stateKey, (state, now) => KvRateLimitAlgorithms.DecideTokenBucket(state, request, now), cancellationToken);

    private ValueTask<KvRateLimitDecision> DecideAsync(
        string operation, string stateKey, Func<string?, long, KvRateLimitStateChange> decide, CancellationToken cancellationToken) =>
        WriteOneAsync(operation, (Store: this, Key: stateKey, Decide: decide), static (lease, context, s) =>
        {
            DateTimeOffset now = s.Store.TimeProvider.GetUtcNow();
            KvValue current = s.Store.ReadEntry(lease, s.Key, includeDetails: false);
            string? state = current.HasValue ? KvRateLimitAlgorithms.DecodeState(current.Payload!) : null;
            KvRateLimitStateChange change = s.Decide(state, now.ToUnixTimeMilliseconds());
            if (change.NewState is { } newState)
            {
                s.Store.Upsert(lease, s.Key, KvRateLimitAlgorithms.EncodeState(newState), now.UtcTicks + change.NewStateTtl.Ticks, metadata: null, context.NextVersion());
            }

            return change.Decision;
        }, cancellationToken);
}
