using System.Globalization;
using Kv.RateLimiting;
using StackExchange.Redis;

namespace Kv.Internal;

// Rate-limit decisions on Redis: one Lua script per decision (RedisRateLimitScripts), so one round trip, atomic across
// every instance. The only key a script touches is the partition's state key, PhysicalKey("__kv:rl:…"), so it follows
// the namespace's layout (and its Cluster hash slot) and stays out of the namespace's indexes: limiter state is never
// listed or counted, and expires by its own TTL.
internal sealed partial class RedisKvStore : IKvRateLimitStore
{
    public bool CompletesSynchronously => false;

    public ValueTask<KvRateLimitDecision> AcquireFixedWindowAsync(string stateKey, KvFixedWindowRequest request, CancellationToken cancellationToken) =>
        DecideAsync(KvOperationNames.FixedWindow, RedisRateLimitScripts.FixedWindow, stateKey, [Now(), request.WindowMilliseconds, request.PermitLimit, request.Permits], cancellationToken);

    public ValueTask<KvRateLimitDecision> AcquireSlidingWindowAsync(string stateKey, KvSlidingWindowRequest request, CancellationToken cancellationToken) =>
        DecideAsync(
            KvOperationNames.SlidingWindow,
            RedisRateLimitScripts.SlidingWindow,
            stateKey,
            [Now(), request.SegmentMilliseconds, request.SegmentsPerWindow, request.PermitLimit, request.Permits],
            cancellationToken);

    public ValueTask<KvRateLimitDecision> AcquireTokenBucketAsync(string stateKey, KvTokenBucketRequest request, CancellationToken cancellationToken) =>
        DecideAsync(
            KvOperationNames.TokenBucket,
            RedisRateLimitScripts.TokenBucket,
            stateKey,
            [Now(), request.PeriodMilliseconds, request.TokensPerPeriod, request.TokenLimit, request.Permits],
            cancellationToken);

    private async ValueTask<KvRateLimitDecision> DecideAsync(string operation, string script, string stateKey, long[] arguments, CancellationToken cancellationToken)
    {
        RedisValue[] args = Array.ConvertAll(arguments, static a => (RedisValue)a.ToString(CultureInfo.InvariantCulture));
        RedisResult result = await _kv.ExecuteAsync(
            operation,
            (Script: script, Keys: new RedisKey[] { PhysicalKey(stateKey) }, Args: args),
            static (db, call) => EvaluateWithRetryAsync(db, call.Script, call.Keys, call.Args, CommandFlags.DemandMaster),
            cancellationToken).ConfigureAwait(false);
        if ((RedisResult[]?)result is not [var acquired, var remaining, var retryAfter])
        {
            throw UnexpectedReply(operation);
        }

        return new KvRateLimitDecision((long)acquired == 1, (long)remaining, TimeSpan.FromMilliseconds((long)retryAfter));
    }

    // The application's clock (see RedisRateLimitScripts): the same clock as every other backend and as a test's fake.
    private long Now() => _kv.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
}
