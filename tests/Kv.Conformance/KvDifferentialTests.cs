using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Kv.Conformance;

/// <summary>
/// The differential test of the data API: one seeded sequence of random operations applied to
/// <see cref="MemoryKv"/> (the reference) and to the backend under test, step by step; every answer (value, error code,
/// listing, size, commit outcome) must be the same on both. A divergence names the seed and the step, so it replays
/// exactly. A backend's test project derives a sealed class and returns its backend from <see cref="CreateBackend"/>.
/// </summary>
/// <remarks>
/// Time moves only in jumps of 61 minutes against TTLs of 60 and 120 minutes (and expiry instants 90 minutes ahead),
/// so the seconds of real time that pass on a server while the test runs can never decide an expiry.
/// Versions differ between backends by design (memory counts per store, Redis per top-level namespace, SQLite per file), so what is
/// compared is whether a key's version changed since the test last saw it, and checks use each backend's own versions.
/// </remarks>
public abstract class KvDifferentialTests(ITestOutputHelper output)
{
    private const int Operations = 10_000;

    private static readonly string[] Keys = ["a", "b", "c", "user:1", "user:2", "user:10", "é", "\U0001F600", "k*", "\uE000"];
    private static readonly string[] Patterns = ["*", "user:*", "user:?", "[abc]", "?", "*1*", "[^a-c]*", "k\\*", "\U0001F600"];
    private static readonly TimeSpan Jump = TimeSpan.FromMinutes(61);

    /// <summary>The name of the backend under test, in a divergence's message.</summary>
    protected abstract string BackendName { get; }

    /// <summary>Creates the backend under test, with a fake clock (or one whose TTLs the test's jumps decide).</summary>
    protected abstract IKvTestBackend CreateBackend();

    [Theory]
    [InlineData(20261122)]
    [InlineData(7)]
    public async Task Random_operations_give_identical_results_on_memory_and_the_backend(int seed)
    {
        var memory = new MemoryReferenceBackend();
        await using IKvTestBackend backend = CreateBackend();
        var sides = new[] { new Side("memory", memory.CreateAdaptor(), memory), new Side(BackendName, backend.CreateAdaptor(), backend) };
        string root = "diff" + seed.ToString(CultureInfo.InvariantCulture);
        var random = new Random(seed);
        var counts = new Dictionary<string, int>();

        for (int step = 0; step < Operations; step++)
        {
            Operation operation = NextOperation(random);
            counts[operation.Name] = counts.GetValueOrDefault(operation.Name) + 1;
            string[] answers = new string[sides.Length];
            for (int i = 0; i < sides.Length; i++)
            {
                answers[i] = await RunAsync(operation, sides[i], root);
            }

            if (answers[0] != answers[1])
            {
                Assert.Fail($"Seed {seed}, step {step}: {operation.Description}\n  memory: {answers[0]}\n  {BackendName}: {answers[1]}");
            }
        }

        output.WriteLine($"Seed {seed}: {Operations} operations, no divergence. " + string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        Assert.Equal(Operations, counts.Values.Sum());
    }

    private static Operation NextOperation(Random random)
    {
        string Key() => Keys[random.Next(Keys.Length)];
        string Ns() => random.Next(3) == 0 ? "child" : string.Empty;
        object? Value() => random.Next(8) switch
        {
            0 => random.Next(-5, 50),
            1 => "text",
            2 => "10",
            3 => true,
            4 => null,
            5 => long.MaxValue - random.Next(3),
            6 => 2.5,
            _ => new Dictionary<string, int> { ["n"] = random.Next(100) },
        };
        KvSetOptions? Options() => random.Next(5) switch
        {
            0 => KvSetOptions.WithTtl(TimeSpan.FromMinutes(60)),
            1 => new KvSetOptions { Ttl = TimeSpan.FromMinutes(120), Metadata = new { tag = random.Next(3) } },
            2 => new KvSetOptions { Metadata = "m" + random.Next(3).ToString(CultureInfo.InvariantCulture) },
            3 => random.Next(10) == 0 ? KvSetOptions.WithTtl(TimeSpan.Zero) : null,
            _ => null,
        };

        int kind = random.Next(100);
        string key = Key();
        string ns = Ns();
        string[] several = [.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => Key())];
        object? value = Value();
        KvSetOptions? options = Options();
        string pattern = Patterns[random.Next(Patterns.Length)];
        int limit = random.Next(1, 5);
        long by = random.Next(4) == 0 ? long.MaxValue : random.Next(-3, 4);
        bool flag = random.Next(2) == 0;
        string Describe(string what) => $"{what} ns='{ns}' key='{key}' keys=[{string.Join(",", several)}] value={JsonSerializer.Serialize(value)} ttl={options?.Ttl} meta={(options?.Metadata is null ? "none" : "yes")} pattern='{pattern}' limit={limit} by={by} flag={flag}";

        return kind switch
        {
            < 12 => new("set", Describe("set"), (s, st) => Do(async () => { await st.SetAsync(key, value, options); return "ok"; }), ns),
            < 20 => new("get", Describe("get"), (s, st) => Do(async () => Json(await st.GetAsync<JsonElement?>(key))), ns),
            < 28 => new("entry", Describe("entry"), (s, st) => Do(async () => s.Entry(st, key, await st.GetEntryAsync<JsonElement?>(key))), ns),
            < 32 => new("delete", Describe("delete"), (s, st) => Do(async () => (await st.DeleteAsync(key)).ToString()), ns),
            < 35 => new("exists", Describe("exists"), (s, st) => Do(async () => (await st.ExistsAsync(key)).ToString()), ns),
            < 43 => new("increment", Describe("increment"), (s, st) => Do(async () => (await st.IncrementAsync(key, by, options)).ToString(CultureInfo.InvariantCulture)), ns),
            < 48 => new("setnx", Describe("setnx"), (s, st) => Do(async () => (await st.SetIfNotExistsAsync(key, value, options)).ToString()), ns),
            < 51 => new("expire", Describe("expire"), (s, st) => Do(async () => (await st.ExpireAsync(key, flag ? TimeSpan.FromMinutes(60) : TimeSpan.FromMinutes(120))).ToString()), ns),
            < 53 => new("expireat", Describe("expireat"), (s, st) => Do(async () => (await st.ExpireAtAsync(key, s.Backend.TimeProvider.GetUtcNow() + TimeSpan.FromMinutes(90))).ToString()), ns),
            < 56 => new("persist", Describe("persist"), (s, st) => Do(async () => (await st.PersistAsync(key)).ToString()), ns),
            < 60 => new("ttl", Describe("ttl"), (s, st) => Do(async () => Ttl(await st.GetTimeToLiveAsync(key))), ns),
            < 64 => new("getmany", Describe("getmany"), (s, st) => Do(async () => Map(await st.GetManyAsync<JsonElement?>(several))), ns),
            < 66 => new("getrequired", Describe("getrequired"), (s, st) => Do(async () => Map(await st.GetRequiredManyAsync<JsonElement?>(several))), ns),
            < 70 => new("setmany", Describe("setmany"), (s, st) => Do(async () => { await st.SetManyAsync(several.Select((k, i) => new KeyValuePair<string, object?>(k, i == 0 ? value : i)), options); return "ok"; }), ns),
            < 73 => new("deletemany", Describe("deletemany"), (s, st) => Do(async () => (await st.DeleteManyAsync(several)).ToString(CultureInfo.InvariantCulture)), ns),
            < 78 => new("list", Describe("list"), (s, st) => Do(async () => await ListAll(st, new KvListQuery { Prefix = flag ? null : "user:", Pattern = flag ? pattern : null, Limit = limit })), ns),
            < 80 => new("range", Describe("range"), (s, st) => Do(async () => await ListAll(st, new KvListQuery { Start = "b", StartInclusive = flag, End = "user:2", EndInclusive = !flag, Limit = limit })), ns),
            < 83 => new("keys", Describe("keys"), (s, st) => Do(async () => string.Join("|", await st.KeysAsync(pattern))), ns),
            < 86 => new("count", Describe("count"), (s, st) => Do(async () => (await st.CountAsync(pattern)).ToString(CultureInfo.InvariantCulture)), ns),
            < 88 => new("size", Describe("size"), (s, st) => Do(async () => (await st.GetStorageSizeAsync()).ToString(CultureInfo.InvariantCulture) + " " + Map(await st.GetStorageSizeAsync(several))), ns),
            < 97 => new("transaction", Describe("transaction"), (s, st) => Do(async () => await s.Transaction(st, key, several, value, options, by, flag)), ns),
            < 99 => new("advance", "advance time 61 min", (s, st) => Do(async () => { await s.Backend.AdvanceTimeAsync(Jump); return "ok"; }), ns),
            _ => new("collect", "collect expired", (s, st) => Do(async () => { await s.Adaptor.CollectExpiredAsync(); return "ok"; }), ns),
        };
    }

    private static Task<string> RunAsync(Operation operation, Side side, string root)
    {
        IAtomicKvStore store = side.Adaptor.Namespace(root);
        return operation.Run(side, operation.Namespace.Length == 0 ? store : store.Namespace(operation.Namespace));
    }

    private static async Task<string> Do(Func<Task<string>> run)
    {
        try
        {
            return await run();
        }
        catch (KvException ex)
        {
            // The error code is the contract; the missing keys of KeyNotFound too.
            return "error " + ex.Code + (ex.Keys.Count > 0 ? " " + string.Join(",", ex.Keys) : string.Empty);
        }
    }

    private static string Json(JsonElement? value) => value is { } element ? element.GetRawText() : "missing-or-null";

    private static string Ttl(KvTimeToLive ttl) => ttl.State + (ttl.Remaining is { } r ? " " + Math.Ceiling(r.TotalMinutes).ToString(CultureInfo.InvariantCulture) : string.Empty);

    private static string Map<T>(IReadOnlyDictionary<string, T> map) =>
        string.Join("|", map.OrderBy(p => p.Key, KvKeyComparer.Instance).Select(p => p.Key + "=" + (p.Value is JsonElement e ? e.GetRawText() : Convert.ToString(p.Value, CultureInfo.InvariantCulture))));

    private static async Task<string> ListAll(IKvStore store, KvListQuery query)
    {
        var text = new StringBuilder();
        string? cursor = null;
        do
        {
            KvListResult page = await store.ListAsync(new KvListQuery
            {
                Prefix = query.Prefix, Pattern = query.Pattern, Start = query.Start, StartInclusive = query.StartInclusive,
                End = query.End, EndInclusive = query.EndInclusive, Limit = query.Limit, Cursor = cursor,
            });
            text.Append('[');
            foreach (KvKeyInfo key in page.Keys)
            {
                text.Append(key.Name).Append(key.ExpiresAt is null ? "" : "+ttl").Append(key.Metadata is { } m ? " " + m.GetRawText() : "").Append(';');
            }

            text.Append(page.ListComplete ? "]" : "]>");
            cursor = page.Cursor;
        }
        while (cursor is not null);

        return text.ToString();
    }

    private sealed record Operation(string Name, string Description, Func<Side, IAtomicKvStore, Task<string>> Run, string Namespace);

    private sealed class Side(string name, AtomicKvAdaptor adaptor, IKvTestBackend backend)
    {
        // The version each key had when this side last read it, to compare "changed since" across backends.
        private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

        public string Name { get; } = name;

        public AtomicKvAdaptor Adaptor { get; } = adaptor;

        public IKvTestBackend Backend { get; } = backend;

        public string Entry(IAtomicKvStore store, string key, KvEntry<JsonElement?>? entry)
        {
            string id = ((KvStoreBase)store).NamespacePath + "::" + key;
            if (entry is null)
            {
                return "missing";
            }

            string version = !_seen.TryGetValue(id, out long last) ? "first-read" : last == entry.Version ? "same-version" : entry.Version > last ? "newer-version" : "OLDER-version";
            _seen[id] = entry.Version;
            return $"{Json(entry.Value)} expires={(entry.ExpiresAt is null ? "never" : "set")} meta={(entry.Metadata is { } m ? m.GetRawText() : "none")} {version}";
        }

        public async Task<string> Transaction(IAtomicKvStore store, string key, string[] others, object? value, KvSetOptions? options, long by, bool stale)
        {
            string id = ((KvStoreBase)store).NamespacePath + "::" + key;

            // Check the version this side last read (or "missing" when it never read the key): sometimes current,
            // sometimes stale, the same way on both sides.
            long? expected = _seen.TryGetValue(id, out long seen) ? seen : null;
            KvTransaction transaction = store.CreateTransaction();
            if (!stale)
            {
                transaction.Check(store, key, expected);
            }

            transaction.Set(store, key, value, options);
            foreach (string other in others)
            {
                if (by % 2 == 0)
                {
                    transaction.Increment(store, other, by);
                }
                else
                {
                    transaction.Delete(store, other);
                }
            }

            KvCommitResult result = await transaction.CommitAsync();
            return result.Applied ? "applied" : "not applied";
        }
    }
}
