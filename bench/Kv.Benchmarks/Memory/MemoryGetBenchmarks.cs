using System.Collections.Concurrent;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;

namespace Kv.Benchmarks.Memory;

/// <summary>
/// <c>MemoryKv.GetAsync</c> on a hit and on a miss, against the floor it sits on: a
/// <see cref="ConcurrentDictionary{TKey, TValue}"/> lookup (plus System.Text.Json for a record, since Kv stores
/// values encoded), with <see cref="MemoryCache"/> for comparison. One baseline per category.
/// </summary>
/// <remarks>
/// <para>Lookups use a copy of the stored key string (as a request that builds its key would), so no variant
/// gets the same-reference shortcut of string equality.</para>
/// <para>Kv is called the way applications call it, through <see cref="IAtomicKvStore"/>.
/// <see cref="Diagnostics.GetFloorBenchmarks"/> shows how much of that no backend can remove.</para>
/// </remarks>
[Config(typeof(KvBenchmarkConfig))]
[MemoryDiagnoser]
public class MemoryGetBenchmarks
{
    private const string HitString = "Get hit: string";
    private const string HitLong = "Get hit: long";
    private const string HitRecord = "Get hit: record";
    private const string Miss = "Get miss";

    private const string StoredKey = "user:12345";
    private const string StringValue = "a value of about thirty-two chars";

    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _longs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _encoded = new(StringComparer.Ordinal);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly MemoryKv _kv = new();
    private readonly JsonSerializerOptions _jsonOptions = KvValueSerializer.Default.Options;
    private IAtomicKvStore _store = null!;
    private IAtomicKvStore _ttlStore = null!;
    private IAtomicKvStore _longStore = null!;
    private IAtomicKvStore _recordStore = null!;
    private string _longCacheKey = null!;
    private string _recordCacheKey = null!;
    private string _key = null!;
    private string _missingKey = null!;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _key = new string(StoredKey.AsSpan());
        _missingKey = "user:54321";

        _store = _kv.Namespace("users");
        _ttlStore = _kv.Namespace("sessions");
        await _store.SetAsync(StoredKey, StringValue);
        await _ttlStore.SetAsync(StoredKey, StringValue, KvSetOptions.WithTtl(TimeSpan.FromDays(1)));
        _longStore = _kv.Namespace("counters");
        _recordStore = _kv.Namespace("profiles");
        await _longStore.SetAsync(StoredKey, 1_234_567_890L);
        await _recordStore.SetAsync(StoredKey, UserProfile.Sample);

        _strings[StoredKey] = StringValue;
        _longs[StoredKey] = 1_234_567_890L;

        // The same bytes MemoryKv holds for the record.
        _encoded[StoredKey] = KvValueSerializer.Default.Serialize(UserProfile.Sample).Payload!;

        _longCacheKey = "long:" + StoredKey;
        _recordCacheKey = "record:" + StoredKey;
        _cache.Set(StoredKey, StringValue);
        _cache.Set("long:" + StoredKey, 1_234_567_890L); // a new string, not the lookup key's instance
        _cache.Set("record:" + StoredKey, UserProfile.Sample);
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.Dispose();

    // ---- string ----

    [Benchmark(Baseline = true, Description = "ConcurrentDictionary.TryGetValue")]
    [BenchmarkCategory(HitString)]
    public string? DictionaryString() => _strings.TryGetValue(_key, out string? value) ? value : null;

    [Benchmark(Description = "MemoryKv.GetAsync<string>")]
    [BenchmarkCategory(HitString)]
    public ValueTask<string?> KvString() => _store.GetAsync<string>(_key);

    [Benchmark(Description = "MemoryKv.GetAsync<string>, entry with TTL")]
    [BenchmarkCategory(HitString)]
    public ValueTask<string?> KvStringWithTtl() => _ttlStore.GetAsync<string>(_key);

    [Benchmark(Description = "MemoryCache.TryGetValue")]
    [BenchmarkCategory(HitString)]
    public string? CacheString() => _cache.TryGetValue(_key, out string? value) ? value : null;

    // ---- long ----

    [Benchmark(Baseline = true, Description = "ConcurrentDictionary.TryGetValue")]
    [BenchmarkCategory(HitLong)]
    public long DictionaryLong() => _longs.TryGetValue(_key, out long value) ? value : 0;

    [Benchmark(Description = "MemoryKv.GetAsync<long>")]
    [BenchmarkCategory(HitLong)]
    public ValueTask<long> KvLong() => _longStore.GetAsync<long>(_key);

    [Benchmark(Description = "MemoryCache.TryGetValue")]
    [BenchmarkCategory(HitLong)]
    public long CacheLong() => _cache.TryGetValue(_longCacheKey, out long value) ? value : 0;

    // ---- record ----

    [Benchmark(Baseline = true, Description = "ConcurrentDictionary.TryGetValue + JsonSerializer.Deserialize")]
    [BenchmarkCategory(HitRecord)]
    public UserProfile? DictionaryRecord() =>
        _encoded.TryGetValue(_key, out byte[]? bytes) ? JsonSerializer.Deserialize<UserProfile>(bytes, _jsonOptions) : null;

    [Benchmark(Description = "MemoryKv.GetAsync<record>")]
    [BenchmarkCategory(HitRecord)]
    public ValueTask<UserProfile?> KvRecord() => _recordStore.GetAsync<UserProfile>(_key);

    [Benchmark(Description = "MemoryCache.TryGetValue (shared instance, no copy)")]
    [BenchmarkCategory(HitRecord)]
    public UserProfile? CacheRecord() => _cache.TryGetValue(_recordCacheKey, out UserProfile? value) ? value : null;

    // ---- miss ----

    [Benchmark(Baseline = true, Description = "ConcurrentDictionary.TryGetValue")]
    [BenchmarkCategory(Miss)]
    public string? DictionaryMiss() => _strings.TryGetValue(_missingKey, out string? value) ? value : null;

    [Benchmark(Description = "MemoryKv.GetAsync<string>")]
    [BenchmarkCategory(Miss)]
    public ValueTask<string?> KvMissString() => _store.GetAsync<string>(_missingKey);

    [Benchmark(Description = "MemoryKv.GetAsync<long>")]
    [BenchmarkCategory(Miss)]
    public ValueTask<long> KvMissLong() => _longStore.GetAsync<long>(_missingKey);

    [Benchmark(Description = "MemoryKv.GetAsync<record>")]
    [BenchmarkCategory(Miss)]
    public ValueTask<UserProfile?> KvMissRecord() => _recordStore.GetAsync<UserProfile>(_missingKey);

    [Benchmark(Description = "MemoryCache.TryGetValue")]
    [BenchmarkCategory(Miss)]
    public string? CacheMiss() => _cache.TryGetValue(_missingKey, out string? value) ? value : null;
}
