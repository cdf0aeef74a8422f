using System.Reflection;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Conformance;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// Where the limiter tests run: stores of four "application instances" that share one backend, all on one fake clock
/// (the limiters send the application's clock to the backend, so time is the test's on both backends).
/// </summary>
public abstract class RateLimitBackend : IAsyncDisposable
{
    public const int Instances = 4;

    public FakeTimeProvider Clock { get; } = new();

    /// <summary>Whether decisions complete synchronously (in process).</summary>
    public abstract bool InProcess { get; }

    /// <summary>The rate-limit namespace's store of instance <paramref name="instance"/> (0-3); all share their data.</summary>
    public abstract IAtomicKvStore Store(int instance, ILoggerFactory? loggerFactory = null);

    /// <summary>Asserts that the backend holds exactly the limiter state keys given (full reserved keys), each with a TTL,
    /// and that nothing outlives those TTLs.</summary>
    public abstract Task AssertEveryLimiterKeyHasTtlAsync(IReadOnlyCollection<string> stateKeys);

    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// The remaining TTL of a partition's state, named by its reserved key (<c>__kv:rl:…</c>, where a store with the
    /// rate-limit capability keeps it); a backend without the capability keeps it elsewhere and overrides this.
    /// </summary>
    public virtual Task<KvTimeToLive> StateTimeToLiveAsync(string stateKey) => TimeToLiveAsync(Store(0), stateKey);

    /// <summary>The remaining TTL of a key through the store's backend hook (reserved keys cannot go through the
    /// public API, which rejects keys starting with "__").</summary>
    public static async Task<KvTimeToLive> TimeToLiveAsync(IAtomicKvStore store, string key)
    {
        MethodInfo method = typeof(KvStoreBase).GetMethod("GetTimeToLiveCoreAsync", BindingFlags.Instance | BindingFlags.NonPublic)!;
        return await (ValueTask<KvTimeToLive>)method.Invoke(store, [key, CancellationToken.None])!;
    }
}

public sealed class MemoryRateLimitBackend : RateLimitBackend
{
    private readonly MemoryKv _kv;

    public MemoryRateLimitBackend() => _kv = new MemoryKv(new MemoryKvOptions(), Clock);

    public MemoryKv Kv => _kv;

    public override bool InProcess => true;

    public override IAtomicKvStore Store(int instance, ILoggerFactory? loggerFactory = null) => _kv.Namespace("ratelimit");

    public override async Task AssertEveryLimiterKeyHasTtlAsync(IReadOnlyCollection<string> stateKeys)
    {
        IAtomicKvStore store = Store(0);
        TimeSpan longest = TimeSpan.Zero;
        foreach (string key in stateKeys)
        {
            KvTimeToLive ttl = await TimeToLiveAsync(store, key);
            Assert.True(ttl.State == KvTtlState.Expiring, $"{key}: {ttl.State}");
            longest = ttl.Remaining!.Value > longest ? ttl.Remaining.Value : longest;
        }

        // Only limiter state lives in this MemoryKv: once the longest TTL has passed, a GC pass leaves nothing, so no
        // other (hidden) key was permanent either.
        Assert.Equal(stateKeys.Count, _kv.EntryCount);
        Clock.Advance(longest);
        _kv.CollectExpired();
        Assert.Equal(0, _kv.EntryCount);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class RedisRateLimitBackend(RateLimitRedisFixture redis) : RateLimitBackend
{
    private readonly string _instanceName = RateLimitRedisFixture.NewInstanceName();
    private readonly Dictionary<int, RedisKv> _adaptors = [];

    public override bool InProcess => false;

    /// <summary>Each instance is an adaptor with a multiplexer of its own, as a separate application instance has.</summary>
    public override IAtomicKvStore Store(int instance, ILoggerFactory? loggerFactory = null)
    {
        lock (_adaptors)
        {
            if (!_adaptors.TryGetValue(instance, out RedisKv? adaptor))
            {
                adaptor = redis.CreateAdaptor(_instanceName, Clock, loggerFactory);
                _adaptors[instance] = adaptor;
            }

            return adaptor.Namespace("ratelimit");
        }
    }

    public override async Task AssertEveryLimiterKeyHasTtlAsync(IReadOnlyCollection<string> stateKeys)
    {
        IReadOnlyList<(string Key, long Pttl)> keys = await redis.KeysWithTtlAsync(_instanceName);
        Assert.Equal(stateKeys.Count, keys.Count);
        Assert.All(keys, k => Assert.True(k.Pttl > 0, $"{k.Key} has PTTL {k.Pttl}"));
        foreach (string stateKey in stateKeys)
        {
            Assert.Contains(keys, k => k.Key.EndsWith("::" + stateKey, StringComparison.Ordinal));
        }
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (RedisKv adaptor in _adaptors.Values)
        {
            await adaptor.DisposeAsync();
        }
    }
}
