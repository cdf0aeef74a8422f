using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using Medallion.Threading.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Kv.Benchmarks.Redis;

/// <summary>
/// Kv's Redis-backed features against the libraries an application would pick instead, on one redis-server and one
/// multiplexer, in the same run: <c>KvDistributedCache</c> vs <see cref="RedisCache"/>
/// (Microsoft.Extensions.Caching.StackExchangeRedis), <see cref="KvDistributedLockProvider"/> vs
/// <see cref="RedisDistributedLock"/> (DistributedLock.Redis), Kv's fixed- and sliding-window limiters vs
/// RedisRateLimiting's, and a limiter decision against one raw <c>INCR</c>. The cases of issue 13.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class RedisPeerBenchmarks
{
    private const string CacheSet = "Cache set of 1 KiB, 64 in flight";
    private const string CacheGet = "Cache get of 1 KiB, 64 in flight";
    private const string Lock = "Lock acquire + release, 16 callers on distinct names";
    private const string FixedWindow = "Fixed window decision, 64 in flight";
    private const string SlidingWindow = "Sliding window decision, 64 in flight";

    private const int Callers = 64;
    private const int CommandsPerCaller = 16;
    private const int Operations = Callers * CommandsPerCaller;
    private const int LockCallers = 16;
    private const int LockRounds = 8;
    private const int LockOperations = LockCallers * LockRounds;
    private const int Permits = 1_000_000_000;

    private static readonly DistributedCacheEntryOptions CacheEntry = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) };

    private ConnectionMultiplexer _multiplexer = null!;
    private IDatabase _database = null!;
    private RedisKv _kv = null!;
    private KvDistributedCache _kvCache = null!;
    private RedisCache _redisCache = null!;
    private KvDistributedLockProvider _kvLocks = null!;
    private RedisDistributedLock[] _peerLocks = null!;
    private string[] _lockNames = null!;
    private RateLimiter _kvFixed = null!;
    private RateLimiter _peerFixed = null!;
    private RateLimiter _kvSliding = null!;
    private RateLimiter _peerSliding = null!;
    private byte[] _value = null!;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(RedisBenchmarks.Endpoint());
        _database = _multiplexer.GetDatabase();
        _kv = new RedisKv(new RedisKvOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_multiplexer) });
        _kvCache = new KvDistributedCache(_kv, Options.Create(new KvDistributedCacheOptions { Namespace = "peer-cache" }));
        _redisCache = new RedisCache(Options.Create(new RedisCacheOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_multiplexer),
            InstanceName = "peer-rediscache:",
        }));
        _value = new byte[1024];
        Random.Shared.NextBytes(_value);
        await _kvCache.SetAsync("entry", _value, CacheEntry);
        await _redisCache.SetAsync("entry", _value, CacheEntry);

        _kvLocks = new KvDistributedLockProvider(_kv.Namespace("peer-locks"));
        _lockNames = [.. Enumerable.Range(0, LockCallers).Select(i => "lock-" + i)];
        _peerLocks = [.. _lockNames.Select(n => new RedisDistributedLock("peer-distributedlock:" + n, _database))];

        IAtomicKvStore limits = _kv.Namespace("peer-ratelimit");
        TimeSpan window = TimeSpan.FromHours(1);
        _kvFixed = new KvFixedWindowRateLimiter(limits, "fixed", new KvFixedWindowRateLimiterOptions { PermitLimit = Permits, Window = window });
        _kvSliding = new KvSlidingWindowRateLimiter(limits, "sliding", new KvSlidingWindowRateLimiterOptions { PermitLimit = Permits, Window = window });
        _peerFixed = new RedisFixedWindowRateLimiter<string>("peer-fixed", new RedisFixedWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => _multiplexer,
            PermitLimit = Permits,
            Window = window,
        });
        _peerSliding = new RedisSlidingWindowRateLimiter<string>("peer-sliding", new RedisSlidingWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => _multiplexer,
            PermitLimit = Permits,
            Window = window,
        });
    }

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalCleanup.
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        await _kvFixed.DisposeAsync();
        await _kvSliding.DisposeAsync();
        await _peerFixed.DisposeAsync();
        await _peerSliding.DisposeAsync();
        _redisCache.Dispose();
        await _kv.DisposeAsync();
        await _multiplexer.CloseAsync();
        _multiplexer.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "RedisCache.SetAsync")]
    [BenchmarkCategory(CacheSet)]
    public Task PeerCacheSet() => RedisBenchmarks.RunCallers(this, static b => b._redisCache.SetAsync("entry", b._value, CacheEntry));

    [Benchmark(OperationsPerInvoke = Operations, Description = "KvDistributedCache.SetAsync")]
    [BenchmarkCategory(CacheSet)]
    public Task KvCacheSet() => RedisBenchmarks.RunCallers(this, static b => b._kvCache.SetAsync("entry", b._value, CacheEntry));

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "RedisCache.GetAsync")]
    [BenchmarkCategory(CacheGet)]
    public Task PeerCacheGet() => RedisBenchmarks.RunCallers(this, static b => b._redisCache.GetAsync("entry"));

    [Benchmark(OperationsPerInvoke = Operations, Description = "KvDistributedCache.GetAsync")]
    [BenchmarkCategory(CacheGet)]
    public Task KvCacheGet() => RedisBenchmarks.RunCallers(this, static b => b._kvCache.GetAsync("entry"));

    [Benchmark(Baseline = true, OperationsPerInvoke = LockOperations, Description = "RedisDistributedLock")]
    [BenchmarkCategory(Lock)]
    public Task PeerLock() => Task.WhenAll(_peerLocks.Select(PeerLockRoundsAsync));

    [Benchmark(OperationsPerInvoke = LockOperations, Description = "KvDistributedLockProvider")]
    [BenchmarkCategory(Lock)]
    public Task KvLock() => Task.WhenAll(_lockNames.Select(KvLockRoundsAsync));

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "raw INCR")]
    [BenchmarkCategory(FixedWindow)]
    public Task RawIncrement() => RedisBenchmarks.RunCallers(this, static b => b._database.StringIncrementAsync("{peer-raw}::counter"));

    [Benchmark(OperationsPerInvoke = Operations, Description = "RedisFixedWindowRateLimiter")]
    [BenchmarkCategory(FixedWindow)]
    public Task PeerFixed() => RedisBenchmarks.RunCallers(this, static b => DecideAsync(b._peerFixed));

    [Benchmark(OperationsPerInvoke = Operations, Description = "KvFixedWindowRateLimiter")]
    [BenchmarkCategory(FixedWindow)]
    public Task KvFixed() => RedisBenchmarks.RunCallers(this, static b => DecideAsync(b._kvFixed));

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "RedisSlidingWindowRateLimiter")]
    [BenchmarkCategory(SlidingWindow)]
    public Task PeerSliding() => RedisBenchmarks.RunCallers(this, static b => DecideAsync(b._peerSliding));

    [Benchmark(OperationsPerInvoke = Operations, Description = "KvSlidingWindowRateLimiter")]
    [BenchmarkCategory(SlidingWindow)]
    public Task KvSliding() => RedisBenchmarks.RunCallers(this, static b => DecideAsync(b._kvSliding));

    private static async Task DecideAsync(RateLimiter limiter)
    {
        using RateLimitLease lease = await limiter.AcquireAsync(1);
        if (!lease.IsAcquired)
        {
            throw new InvalidOperationException("The limiter refused a permit it has plenty of.");
        }
    }

    private static async Task PeerLockRoundsAsync(RedisDistributedLock peer)
    {
        for (int i = 0; i < LockRounds; i++)
        {
            await using RedisDistributedLockHandle handle = await peer.TryAcquireAsync()
                ?? throw new InvalidOperationException("A free lock was not granted.");
        }
    }

    private async Task KvLockRoundsAsync(string name)
    {
        for (int i = 0; i < LockRounds; i++)
        {
            await using KvDistributedLockHandle handle = await _kvLocks.TryAcquireAsync(name)
                ?? throw new InvalidOperationException("A free lock was not granted.");
        }
    }

    /// <summary>The network job: see <see cref="KvBenchmarkConfig.NetworkJob"/>.</summary>
    private sealed class Config : KvBenchmarkConfig
    {
        public Config()
            : base(NetworkJob)
        {
        }
    }
}
