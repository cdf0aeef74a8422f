using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;

namespace Kv.Benchmarks.Memory;

/// <summary>
/// Writes: <c>SetAsync</c> with and without a TTL against <see cref="MemoryCache"/>'s <c>Set</c>, and the
/// atomic operations (<c>IncrementAsync</c>, <c>SetIfNotExistsAsync</c>) against a plain <c>MemoryCache.Set</c>.
/// Every write replaces the value of one existing key: the steady state of a cache or a counter.
/// </summary>
/// <remarks>
/// MemoryKv encodes every value (System.Text.Json), so a stored object is a copy; MemoryCache keeps the
/// caller's reference. The ratios include that encoding on Kv's side.
/// </remarks>
[Config(typeof(KvBenchmarkConfig))]
[MemoryDiagnoser]
public class MemorySetBenchmarks
{
    private const string Set = "Set, no TTL";
    private const string SetTtl = "Set with TTL";
    private const string Atomic = "Atomic ops";

    private const string Key = "user:12345";
    private const string Value = "a value of about thirty-two chars";

    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly KvSetOptions TtlOptions = KvSetOptions.WithTtl(Ttl);

    private readonly ConcurrentDictionary<string, string> _dictionary = new(StringComparer.Ordinal);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly MemoryKv _kv = new();
    private IAtomicKvStore _store = null!;
    private IAtomicKvStore _ttlStore = null!;
    private IAtomicKvStore _counters = null!;
    private IAtomicKvStore _locks = null!;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _store = _kv.Namespace("plain");
        _ttlStore = _kv.Namespace("expiring");
        _counters = _kv.Namespace("counters");
        _locks = _kv.Namespace("locks");
        await _store.SetAsync(Key, Value);
        await _ttlStore.SetAsync(Key, Value, TtlOptions);
        await _counters.IncrementAsync(Key);
        await _counters.IncrementAsync("window", 1, TtlOptions);
        await _locks.SetAsync("taken", "owner");
        _dictionary[Key] = Value;
        _cache.Set(Key, Value);
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.Dispose();

    // ---- set, no TTL ----

    [Benchmark(Baseline = true, Description = "MemoryCache.Set")]
    [BenchmarkCategory(Set)]
    public string CacheSet() => _cache.Set(Key, Value);

    [Benchmark(Description = "MemoryKv.SetAsync<string>")]
    [BenchmarkCategory(Set)]
    public ValueTask KvSet() => _store.SetAsync(Key, Value);

    [Benchmark(Description = "ConcurrentDictionary indexer (floor)")]
    [BenchmarkCategory(Set)]
    public void DictionarySet() => _dictionary[Key] = Value;

    // ---- set with TTL ----

    [Benchmark(Baseline = true, Description = "MemoryCache.Set, relative expiration")]
    [BenchmarkCategory(SetTtl)]
    public string CacheSetTtl() => _cache.Set(Key, Value, Ttl);

    [Benchmark(Description = "MemoryKv.SetAsync<string>, TTL")]
    [BenchmarkCategory(SetTtl)]
    public ValueTask KvSetTtl() => _ttlStore.SetAsync(Key, Value, TtlOptions);

    // ---- atomic ----

    [Benchmark(Baseline = true, Description = "MemoryCache.Set")]
    [BenchmarkCategory(Atomic)]
    public string CacheSetForAtomic() => _cache.Set(Key, Value);

    [Benchmark(Description = "MemoryKv.IncrementAsync")]
    [BenchmarkCategory(Atomic)]
    public ValueTask<long> KvIncrement() => _counters.IncrementAsync(Key);

    [Benchmark(Description = "MemoryKv.IncrementAsync, TTL (rate-limit window)")]
    [BenchmarkCategory(Atomic)]
    public ValueTask<long> KvIncrementWindow() => _counters.IncrementAsync("window", 1, TtlOptions);

    [Benchmark(Description = "MemoryKv.SetIfNotExistsAsync, key taken")]
    [BenchmarkCategory(Atomic)]
    public ValueTask<bool> KvSetIfNotExistsTaken() => _locks.SetIfNotExistsAsync("taken", "other", TtlOptions);

    // No TTL here: each TTL'd create adds an expiry index item that stays until its deadline, and millions of
    // them would pile up within one run with no GC pass (the hosted GC service is not running here).
    [Benchmark(Description = "MemoryKv.SetIfNotExistsAsync + DeleteAsync, key free")]
    [BenchmarkCategory(Atomic)]
    public async ValueTask<bool> KvSetIfNotExistsFree()
    {
        bool set = await _locks.SetIfNotExistsAsync("free", "owner");
        await _locks.DeleteAsync("free");
        return set;
    }
}
