using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;

namespace Kv.Benchmarks.Memory;

/// <summary>
/// Throughput of a mixed workload, 90% gets and 10% sets over 10,000 keys, from 1, 2 and 8 concurrent tasks.
/// The baseline is a <see cref="ConcurrentDictionary{TKey, TValue}"/> running the same operation sequence.
/// </summary>
/// <remarks>
/// Every invocation runs <see cref="Operations"/> operations split evenly across the tasks, so the reported time
/// is per operation and the ratio compares throughput directly (lower is better). The sequence of keys and of
/// get/set choices is fixed and shared, so every variant does the same work.
/// </remarks>
[Config(typeof(KvBenchmarkConfig))]
[MemoryDiagnoser]
public class MemoryConcurrencyBenchmarks
{
    /// <summary>Operations per invocation (divisible by every task count).</summary>
    public const int Operations = 80_000;

    private const int KeyCount = 10_000;

    private readonly ConcurrentDictionary<string, string> _dictionary = new(StringComparer.Ordinal);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());
    private readonly MemoryKv _kv = new();
    private IAtomicKvStore _store = null!;
    private string[] _keys = null!;
    private string[] _values = null!;

    // The workload: for operation i, the key index, negative (bitwise complement) for a set.
    private int[] _script = null!;

    [Params(1, 2, 8)]
    public int Tasks { get; set; }

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _store = _kv.Namespace("mixed");
        _keys = Enumerable.Range(0, KeyCount).Select(i => "key:" + i).ToArray();
        _values = Enumerable.Range(0, 16).Select(i => "value " + i + " of about thirty chars").ToArray();
        var random = new Random(42);
        _script = Enumerable.Range(0, Operations)
            .Select(_ => random.Next(10) == 0 ? ~random.Next(KeyCount) : random.Next(KeyCount))
            .ToArray();

        foreach (string key in _keys)
        {
            _dictionary[key] = _values[0];
            _cache.Set(key, _values[0]);
            await _store.SetAsync(key, _values[0]);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "ConcurrentDictionary, 90/10 get/set")]
    public Task Dictionary() => RunAll(slice =>
    {
        int found = 0;
        foreach (int op in slice.Span)
        {
            if (op >= 0)
            {
                found += _dictionary.TryGetValue(_keys[op], out string? value) ? value.Length : 0;
            }
            else
            {
                _dictionary[_keys[~op]] = _values[~op & 15];
            }
        }

        return Task.FromResult(found);
    });

    [Benchmark(OperationsPerInvoke = Operations, Description = "MemoryKv, 90/10 get/set")]
    public Task Kv() => RunAll(async slice =>
    {
        int found = 0;
        for (int i = 0; i < slice.Length; i++)
        {
            int op = slice.Span[i];
            if (op >= 0)
            {
                string? value = await _store.GetAsync<string>(_keys[op]);
                found += value?.Length ?? 0;
            }
            else
            {
                await _store.SetAsync(_keys[~op], _values[~op & 15]);
            }
        }

        return found;
    });

    [Benchmark(OperationsPerInvoke = Operations, Description = "MemoryCache, 90/10 get/set")]
    public Task Cache() => RunAll(slice =>
    {
        int found = 0;
        foreach (int op in slice.Span)
        {
            if (op >= 0)
            {
                found += _cache.TryGetValue(_keys[op], out string? value) ? value!.Length : 0;
            }
            else
            {
                _cache.Set(_keys[~op], _values[~op & 15]);
            }
        }

        return Task.FromResult(found);
    });

    // Starts one task per slice of the script on the thread pool and waits for all of them.
    private Task RunAll(Func<ReadOnlyMemory<int>, Task<int>> work)
    {
        int length = Operations / Tasks;
        var tasks = new Task[Tasks];
        for (int t = 0; t < Tasks; t++)
        {
            ReadOnlyMemory<int> slice = _script.AsMemory(t * length, length);
            tasks[t] = Task.Run(() => work(slice));
        }

        return Task.WhenAll(tasks);
    }
}
