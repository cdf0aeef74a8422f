using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace Kv.Benchmarks.Memory;

/// <summary>
/// One GC pass (<see cref="MemoryKv.CollectExpired"/>) over 1,000,000 entries of which 10,000 have expired,
/// against the baseline of what an O(n) sweep costs: a full scan of the same 1,000,000 entries that removes the
/// same 10,000 expired ones.
/// </summary>
/// <remarks>
/// <para>Every entry has a TTL (990,000 live for days, 10,000 for a minute), so the expiry index holds a
/// million items, the worst case for it. A <see cref="FakeTimeProvider"/> moves the clock past the short
/// TTL before each measured pass; nothing else moves it, so exactly 10,000 entries are due each time.</para>
/// <para>The sweep scans a <see cref="ConcurrentDictionary{TKey, TValue}"/> with the same keys and an entry of
/// the same shape as MemoryKv's (payload and expiry), since MemoryKv has no public full scan; it is the
/// sweep <c>MemoryCache</c> does on every expiration scan.</para>
/// <para>Each iteration is one pass (a pass empties what is due), with the 10,000 short entries written
/// again, and the clock moved, in the iteration setup, which is not measured.</para>
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class MemoryGcBenchmarks
{
    /// <summary>The entries in the store.</summary>
    public const int Entries = 1_000_000;

    /// <summary>The entries that expire before each pass.</summary>
    public const int Expiring = 10_000;

    private static readonly KvSetOptions LongTtl = KvSetOptions.WithTtl(TimeSpan.FromDays(30));
    private static readonly KvSetOptions ShortTtl = KvSetOptions.WithTtl(TimeSpan.FromMinutes(1));

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentDictionary<string, SweptEntry> _swept = new(StringComparer.Ordinal);
    private MemoryKv _kv = null!;
    private IAtomicKvStore _store = null!;
    private string[] _expiringKeys = null!;
    private int _lastRemoved;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _kv = new MemoryKv(new MemoryKvOptions(), _clock);
        _store = _kv.Namespace("gc");
        byte[] payload = KvValueSerializer.Default.Serialize("a value of about thirty-two chars").Payload!;
        long longDeadline = _clock.GetUtcNow().UtcTicks + LongTtl.Ttl!.Value.Ticks;
        for (int i = 0; i < Entries - Expiring; i++)
        {
            string key = "live:" + i;
            await _store.SetAsync(key, "a value of about thirty-two chars", LongTtl);
            _swept[key] = new SweptEntry(payload, longDeadline);
        }

        _expiringKeys = Enumerable.Range(0, Expiring).Select(i => "short:" + i).ToArray();
    }

    [IterationSetup]
    public void WriteExpiringEntries()
    {
        long shortDeadline = _clock.GetUtcNow().UtcTicks + ShortTtl.Ttl!.Value.Ticks;
        byte[] payload = KvValueSerializer.Default.Serialize("a value of about thirty-two chars").Payload!;
        foreach (string key in _expiringKeys)
        {
            // Completes synchronously on MemoryKv.
            _store.SetAsync(key, "a value of about thirty-two chars", ShortTtl).AsTask().GetAwaiter().GetResult();
            _swept[key] = new SweptEntry(payload, shortDeadline);
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
    }

    [IterationCleanup]
    public void CheckPass()
    {
        if (_lastRemoved != Expiring)
        {
            throw new InvalidOperationException($"A pass removed {_lastRemoved} entries; {Expiring} were due.");
        }
    }

    [Benchmark(Baseline = true, Description = "Full scan of 1M entries (O(n) sweep)")]
    public int FullScan()
    {
        long now = _clock.GetUtcNow().UtcTicks;
        int removed = 0;
        foreach (KeyValuePair<string, SweptEntry> pair in _swept)
        {
            if (pair.Value.ExpiresAtTicks <= now && _swept.TryRemove(pair))
            {
                removed++;
            }
        }

        return _lastRemoved = removed;
    }

    [Benchmark(Description = "MemoryKv.CollectExpired, 10k of 1M due")]
    public int CollectExpired() => _lastRemoved = _kv.CollectExpired();

    /// <summary>What the sweep reads per entry: the same shape as MemoryKv's entry.</summary>
    private sealed record SweptEntry(byte[] Payload, long ExpiresAtTicks);

    /// <summary>
    /// One pass per iteration: the setup must run before every measured pass. Ten warm-up passes let the JIT
    /// promote the pass's code to its optimized tier (a method runs once per iteration here, so it needs them).
    /// </summary>
    private sealed class Config : KvBenchmarkConfig
    {
        public Config()
            : base(Job.Default
                .WithId(JobId + "-PerPass")
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(10)
                .WithIterationCount(15)
                .WithInvocationCount(1)
                .WithUnrollFactor(1))
        {
        }
    }
}
