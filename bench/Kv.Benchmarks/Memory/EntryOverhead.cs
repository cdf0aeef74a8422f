using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Caching.Memory;

namespace Kv.Benchmarks.Memory;

/// <summary>
/// The memory a store takes per entry beyond the key and the value: the console mode
/// <c>dotnet run -c Release -- --overhead</c> (bench.sh runs it before the benchmarks).
/// </summary>
/// <remarks>
/// <para>Measured with <see cref="GC.GetTotalMemory(bool)"/> (after a full, compacting collection) around a bulk
/// load of <see cref="Count"/> entries into a fresh store. The keys are allocated before the first reading
/// and the stores keep those same strings, so keys never count. The values are created during the load, as an
/// application would create them, and the value's own size is subtracted afterwards:</para>
/// <list type="bullet">
/// <item>for MemoryKv and the dictionary floor, the value as they store it: the encoded payload array (its
/// header and its UTF-8 JSON bytes), computed exactly from the payload lengths;</item>
/// <item>for MemoryCache, which keeps the caller's object, that object graph, measured the same way as the
/// stores (allocating the same values into an array).</item>
/// </list>
/// <para>So the overhead is everything else: dictionary nodes and buckets, entry objects, expiry index items
/// (and their unused capacity), and any second copy of the value a store keeps.</para>
/// </remarks>
public static class EntryOverhead
{
    /// <summary>Entries per measurement: large enough that growth slack averages out as in a real store.</summary>
    public const int Count = 1_000_000;

    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    /// <summary>Measures every scenario and prints a Markdown table.</summary>
    /// <param name="output">Where the table goes.</param>
    public static async Task RunAsync(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        string[] keys = Enumerable.Range(0, Count).Select(i => "user:" + i.ToString("D7", CultureInfo.InvariantCulture)).ToArray();

        Scenario[] scenarios =
        [
            new("string (33 chars)", i => "value " + i.ToString("D7", CultureInfo.InvariantCulture) + " of 33 characters!", false),
            new("string (33 chars), TTL", i => "value " + i.ToString("D7", CultureInfo.InvariantCulture) + " of 33 characters!", true),
            new("long counter", i => (long)i, false),
            new("long counter, TTL", i => (long)i, true),
            new("record (~150 B JSON)", i => UserProfile.Sample with { Id = i, Name = "User " + i.ToString(CultureInfo.InvariantCulture) }, false),
            new("record (~150 B JSON), TTL", i => UserProfile.Sample with { Id = i, Name = "User " + i.ToString(CultureInfo.InvariantCulture) }, true),
        ];

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Per-entry overhead, bytes beyond key and value ({Count:N0} entries per store, GC.GetTotalMemory(true) around the load)")).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("| Value | MemoryKv | ConcurrentDictionary<string, byte[]> (floor) | MemoryCache | MemoryKv / MemoryCache | Stored value (payload) |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---:|---:|---:|---:|---:|").ConfigureAwait(false);
        foreach (Scenario scenario in scenarios)
        {
            (double kv, double payload) = await MeasureKvAsync(keys, scenario).ConfigureAwait(false);
            double floor = MeasureDictionary(keys, scenario);
            double cache = MeasureMemoryCache(keys, scenario);
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"| {scenario.Name} | {kv:F0} B | {(scenario.Ttl ? "n/a" : floor.ToString("F0", CultureInfo.InvariantCulture) + " B")} | {cache:F0} B | {kv / cache:F2} | {payload:F0} B |")).ConfigureAwait(false);
        }

        GC.KeepAlive(keys);
    }

    private static async Task<(double Overhead, double Payload)> MeasureKvAsync(string[] keys, Scenario scenario)
    {
        KvSetOptions? options = scenario.Ttl ? KvSetOptions.WithTtl(Ttl) : null;
        long before = Settle();
        var kv = new MemoryKv();
        IAtomicKvStore store = kv.Namespace("overhead");
        for (int i = 0; i < keys.Length; i++)
        {
            await store.SetAsync(keys[i], scenario.Create(i), options).ConfigureAwait(false);
        }

        long after = Settle();

        // The stored value: each payload array as the runtime lays it out (computed after the reading, so the
        // encoding done here allocates nothing that was counted).
        long payloads = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            payloads += ArraySize(KvValueSerializer.Default.Serialize(scenario.Create(i)).Payload!.Length);
        }

        GC.KeepAlive(kv);
        return ((double)(after - before - payloads) / keys.Length, (double)payloads / keys.Length);
    }

    private static double MeasureDictionary(string[] keys, Scenario scenario)
    {
        var encoded = new byte[keys.Length][];
        long payloads = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            encoded[i] = KvValueSerializer.Default.Serialize(scenario.Create(i)).Payload!;
            payloads += ArraySize(encoded[i].Length);
        }

        long before = Settle();
        var dictionary = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Length; i++)
        {
            dictionary[keys[i]] = encoded[i];
        }

        long after = Settle();
        GC.KeepAlive(dictionary);
        GC.KeepAlive(encoded);

        // The payloads were allocated before the first reading, so everything measured is overhead.
        return (double)(after - before) / keys.Length;
    }

    private static double MeasureMemoryCache(string[] keys, Scenario scenario)
    {
        long valueBytes = MeasureValues(keys.Length, scenario);
        long before = Settle();
        var cache = new MemoryCache(new MemoryCacheOptions());
        for (int i = 0; i < keys.Length; i++)
        {
            if (scenario.Ttl)
            {
                cache.Set(keys[i], scenario.Create(i), Ttl);
            }
            else
            {
                cache.Set(keys[i], scenario.Create(i));
            }
        }

        long after = Settle();
        GC.KeepAlive(cache);
        cache.Dispose();
        return (double)(after - before - valueBytes) / keys.Length;
    }

    // The values as the application's objects (what MemoryCache keeps), measured like the stores.
    private static long MeasureValues(int count, Scenario scenario)
    {
        long before = Settle();
        var values = new object[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = scenario.Create(i);
        }

        long after = Settle();
        GC.KeepAlive(values);
        return after - before - ArraySize(8L * count);
    }

    // An array on 64-bit .NET: 24 bytes (object header, method table pointer, length) before the data;
    // objects are 8-byte aligned.
    private static long ArraySize(long dataBytes) => (24 + dataBytes + 7) & ~7L;

    private static long Settle()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private sealed record Scenario(string Name, Func<int, object> Create, bool Ttl);
}
