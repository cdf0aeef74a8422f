using System.Collections.Concurrent;
using Kv.RateLimiting;

namespace Kv.Internal;

// Rate-limit decisions in process: one compare-and-swap of the partition's state entry per decision, like Increment.
// The state is an entry under the reserved key (`__kv:rl:…`) with a TTL, so the GC removes it like any other
// expired entry, and listing, counting and sizes skip it.
internal sealed partial class MemoryKvStore : IKvRateLimitStore
{
    public bool CompletesSynchronously => true;

    public ValueTask<KvRateLimitDecision> AcquireFixedWindowAsync(string stateKey, KvFixedWindowRequest request, CancellationToken cancellationToken) =>
        DecideAtomically(stateKey, request, static (state, r, now) => KvRateLimitAlgorithms.DecideFixedWindow(state, r, now));

    public ValueTask<KvRateLimitDecision> AcquireSlidingWindowAsync(string stateKey, KvSlidingWindowRequest request, CancellationToken cancellationToken) =>
        DecideAtomically(stateKey, request, static (state, r, now) => KvRateLimitAlgorithms.DecideSlidingWindow(state, r, now));

    public ValueTask<KvRateLimitDecision> AcquireTokenBucketAsync(string stateKey, KvTokenBucketRequest request, CancellationToken cancellationToken) =>
        DecideAtomically(stateKey, request, static (state, r, now) => KvRateLimitAlgorithms.DecideTokenBucket(state, r, now));

    private ValueTask<KvRateLimitDecision> DecideAtomically<TRequest>(
        string stateKey, TRequest request, Func<string?, TRequest, long, KvRateLimitStateChange> decide)
    {
        try
        {
            ConcurrentDictionary<string, MemoryEntry> table = Table;
            while (true)
            {
                long now = Now();
                bool exists = TryGetForWrite(table, stateKey, out MemoryEntry? old);
                old?.Seal();
                string? state = exists && !old!.IsExpiredAt(now) ? old.Decoded as string ?? KvRateLimitAlgorithms.DecodeState(old.Payload) : null;
                KvRateLimitStateChange change = decide(state, request, (now - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMillisecond);
                if (change.NewState is null)
                {
                    return new(change.Decision);
                }

                MemoryEntry entry = NewEntry(
                    new KvValue(KvRateLimitAlgorithms.EncodeState(change.NewState), change.NewState), now + change.NewStateTtl.Ticks, metadata: null, _engine.NextVersion());

                // A lost swap means another decision changed the state first: decide again on what it wrote.
                if (exists ? TryReplace(table, stateKey, old!, entry, now) : TryAdd(table, stateKey, entry))
                {
                    return new(change.Decision);
                }
            }
        }
        catch (KvException ex)
        {
            return ValueTask.FromException<KvRateLimitDecision>(ex);
        }
    }
}
