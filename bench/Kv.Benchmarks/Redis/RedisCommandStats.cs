using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Medallion.Threading.Redis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Kv.Benchmarks.Redis;

/// <summary>
/// The server-side cost of each Kv operation, counted deterministically: how many commands Redis executes per
/// operation (<c>INFO commandstats</c> deltas around 100 sequential calls; commands a Lua script runs count too),
/// beside the nearest raw command, and the server's CPU time per operation (<c>INFO cpu</c>, noisy on a shared
/// machine). <c>./bench.sh --commandstats</c> prints it as Markdown tables.
/// </summary>
internal static class RedisCommandStats
{
    private const int Repetitions = 1000;

    // The server CPU µs per operation of each measurement.
    private static readonly Dictionary<Dictionary<string, long>, double> ServerMicroseconds = new(ReferenceEqualityComparer.Instance);
    private const string Value = "a value of about thirty-two chars";

    // Commands of the measurement itself, left out of every count.
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal) { "info", "config|resetstat", "ping" };

    public static async Task RunAsync(TextWriter output)
    {
        string endpoint = RedisBenchmarks.Endpoint();
        ConfigurationOptions admin = ConfigurationOptions.Parse(endpoint);
        admin.AllowAdmin = true;
        await using ConnectionMultiplexer adminConnection = await ConnectionMultiplexer.ConnectAsync(admin);
        IServer server = adminConnection.GetServer(adminConnection.GetEndPoints()[0]);
        await using ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(endpoint);
        IDatabase db = multiplexer.GetDatabase();
        await using var kv = new RedisKv(new RedisKvOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(multiplexer) });
        IAtomicKvStore store = kv.Namespace("stats");
        KvSetOptions ttl = KvSetOptions.WithTtl(TimeSpan.FromMinutes(10));
        byte[] payload = KvValueSerializer.Default.Serialize(Value).Payload!;
        string[] hundred = [.. Enumerable.Range(0, 100).Select(i => "item:" + i)];
        KeyValuePair<string, string>[] hundredItems = [.. hundred.Select(k => new KeyValuePair<string, string>(k, Value))];
        RedisKey[] rawHundred = [.. hundred.Select(k => (RedisKey)Physical(k))];
        KeyValuePair<RedisKey, RedisValue>[] rawHundredItems = [.. rawHundred.Select(k => new KeyValuePair<RedisKey, RedisValue>(k, payload))];
        await store.SetAsync("k", Value);
        await store.SetManyAsync(hundredItems);

        var rows = new List<(string Operation, string Raw, Func<int, Task> RawCall, Func<int, Task> KvCall)>
        {
            ("GetAsync", "GET", _ => db.StringGetAsync(Physical("k")), _ => store.GetAsync<string>("k").AsTask()),
            ("GetEntryAsync", "GET", _ => db.StringGetAsync(Physical("k")), _ => store.GetEntryAsync<string>("k").AsTask()),
            ("ExistsAsync", "EXISTS", _ => db.KeyExistsAsync(Physical("k")), _ => store.ExistsAsync("k").AsTask()),
            ("SetAsync", "SET", _ => db.StringSetAsync(Physical("k"), payload), _ => store.SetAsync("k", Value).AsTask()),
            ("SetAsync with TTL", "SET PX", _ => db.StringSetAsync(Physical("t"), payload, TimeSpan.FromMinutes(10)), _ => store.SetAsync("t", Value, ttl).AsTask()),
            ("SetIfNotExistsAsync with TTL, free", "SET NX PX", i => db.StringSetAsync(Physical("raw-nx" + i), payload, TimeSpan.FromMinutes(10), When.NotExists), i => store.SetIfNotExistsAsync("nx" + i, Value, ttl).AsTask()),
            ("SetIfNotExistsAsync with TTL, taken", "SET NX PX", _ => db.StringSetAsync(Physical("k"), payload, TimeSpan.FromMinutes(10), When.NotExists), _ => store.SetIfNotExistsAsync("k", Value, ttl).AsTask()),
            ("DeleteAsync of a live key", "DEL", i => db.KeyDeleteAsync(Physical("raw-nx" + i)), i => store.DeleteAsync("nx" + i).AsTask()),
            ("DeleteAsync of a missing key", "DEL", _ => db.KeyDeleteAsync(Physical("missing")), _ => store.DeleteAsync("missing").AsTask()),
            ("IncrementAsync with TTL-on-create", "INCRBY", _ => db.StringIncrementAsync(Physical("n"), 1), _ => store.IncrementAsync("n", 1, ttl).AsTask()),
            ("ExpireAsync", "PEXPIRE", _ => db.KeyExpireAsync(Physical("k"), TimeSpan.FromMinutes(10)), _ => store.ExpireAsync("k", TimeSpan.FromMinutes(10)).AsTask()),
            ("PersistAsync", "PERSIST", _ => db.KeyPersistAsync(Physical("k")), _ => store.PersistAsync("k").AsTask()),
            ("GetTimeToLiveAsync", "PTTL", _ => db.KeyTimeToLiveAsync(Physical("k")), _ => store.GetTimeToLiveAsync("k").AsTask()),
            ("GetManyAsync of 100", "MGET", _ => db.StringGetAsync(rawHundred), _ => store.GetManyAsync<string>(hundred).AsTask()),
            ("SetManyAsync of 100", "MSET", _ => db.StringSetAsync(rawHundredItems), _ => store.SetManyAsync(hundredItems).AsTask()),
            ("DeleteManyAsync of 100 missing", "DEL", _ => db.KeyDeleteAsync(hundred.Select(k => (RedisKey)Physical(k + "x")).ToArray()), _ => store.DeleteManyAsync(hundred.Select(k => k + "x")).AsTask()),
            ("ListAsync, page of 100", "SCAN", _ => server.KeysAsync(pattern: Physical("item:*"), pageSize: 100).Take(100).ToArrayAsync().AsTask(), _ => store.ListAsync(limit: 100).AsTask()),
            ("CountAsync()", "DBSIZE", _ => server.DatabaseSizeAsync(), _ => store.CountAsync().AsTask()),
            ("Transaction: check + set + increment", "MULTI/EXEC", _ => RawTransactionAsync(db), _ => store.CreateTransaction().Set(store, "t1", 1).Increment(store, "n", 1).CommitAsync().AsTask()),
        };

        output.WriteLine($"Commands Redis executes per operation (INFO commandstats, {Repetitions} sequential calls each; a script's inner commands count).");
        output.WriteLine();
        output.WriteLine("| Kv operation | raw | raw cmds/op | Kv cmds/op | raw server µs/op | Kv server µs/op | Kv commands per operation |");
        output.WriteLine("|---|---|---:|---:|---:|---:|---|");
        foreach ((string operation, string raw, Func<int, Task> rawCall, Func<int, Task> kvCall) in rows)
        {
            Dictionary<string, long> rawCounts = await MeasureAsync(server, rawCall, Repetitions);
            Dictionary<string, long> kvCounts = await MeasureAsync(server, kvCall, Repetitions);
            output.WriteLine(
                $"| {operation} | {raw} | {PerOperation(rawCounts.Values.Sum(), Repetitions)} | {PerOperation(kvCounts.Values.Sum(), Repetitions)} | {Cpu(rawCounts)} | {Cpu(kvCounts)} | {Breakdown(kvCounts, Repetitions)} |");
        }

        // The first write with a TTL of a fresh adaptor under a root it has not written to: once per adaptor and root.
        await using var fresh = new RedisKv(new RedisKvOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(multiplexer) });
        IAtomicKvStore freshStore = fresh.Namespace("stats-first");
        await fresh.PingAsync(); // Connects, and lets the connection's one-time checks finish before counting.
        await Task.Delay(500);
        Dictionary<string, long> first = await MeasureAsync(server, _ => freshStore.SetAsync("k", Value, ttl).AsTask(), 1);
        output.WriteLine($"| SetAsync with TTL, first under a root of a new adaptor | SET PX | 1 | {PerOperation(first.Values.Sum(), 1)} | | | {Breakdown(first, 1)} |");
        await PeersAsync(output, multiplexer, kv, server);
    }

    /// <summary>The peers of <see cref="RedisPeerBenchmarks"/>: commands per operation, Kv beside the library.</summary>
    private static async Task PeersAsync(TextWriter output, ConnectionMultiplexer multiplexer, RedisKv kv, IServer server)
    {
        var entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) };
        byte[] value = new byte[1024];
        var kvCache = new KvDistributedCache(kv, Options.Create(new KvDistributedCacheOptions { Namespace = "stats-cache" }));
        using var redisCache = new RedisCache(Options.Create(new RedisCacheOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(multiplexer),
            InstanceName = "stats-rediscache:",
        }));
        await kvCache.SetAsync("warm", value, entry);
        await redisCache.SetAsync("warm", value, entry);
        var kvLocks = new KvDistributedLockProvider(kv.Namespace("stats-locks"));
        IDatabase db = multiplexer.GetDatabase();
        TimeSpan window = TimeSpan.FromHours(1);
        await using RateLimiter kvFixed = new KvFixedWindowRateLimiter(
            kv.Namespace("stats-ratelimit"), "fixed", new KvFixedWindowRateLimiterOptions { PermitLimit = 1_000_000_000, Window = window });
        await using RateLimiter peerFixed = new RedisFixedWindowRateLimiter<string>(
            "stats-fixed", new RedisFixedWindowRateLimiterOptions { ConnectionMultiplexerFactory = () => multiplexer, PermitLimit = 1_000_000_000, Window = window });
        await using RateLimiter kvSliding = new KvSlidingWindowRateLimiter(
            kv.Namespace("stats-ratelimit"), "sliding", new KvSlidingWindowRateLimiterOptions { PermitLimit = 1_000_000_000, Window = window });
        await using RateLimiter peerSliding = new RedisSlidingWindowRateLimiter<string>(
            "stats-sliding", new RedisSlidingWindowRateLimiterOptions { ConnectionMultiplexerFactory = () => multiplexer, PermitLimit = 1_000_000_000, Window = window });

        var rows = new List<(string Case, string Peer, Func<int, Task> PeerCall, Func<int, Task> KvCall)>
        {
            ("Cache set of 1 KiB", "RedisCache", i => redisCache.SetAsync("k" + (i % 10), value, entry), i => kvCache.SetAsync("k" + (i % 10), value, entry)),
            ("Cache get of 1 KiB", "RedisCache", _ => redisCache.GetAsync("warm"), _ => kvCache.GetAsync("warm")),
            ("Lock acquire + release", "DistributedLock.Redis", i => PeerLockAsync(new RedisDistributedLock("stats-lock" + (i % 10), db)), i => KvLockAsync(kvLocks, "lock" + (i % 10))),
            ("Fixed window decision", "RedisRateLimiting", _ => DecideAsync(peerFixed), _ => DecideAsync(kvFixed)),
            ("Sliding window decision", "RedisRateLimiting", _ => DecideAsync(peerSliding), _ => DecideAsync(kvSliding)),
        };

        output.WriteLine();
        output.WriteLine("| case | peer | peer cmds/op | Kv cmds/op | peer server µs/op | Kv server µs/op | peer commands | Kv commands |");
        output.WriteLine("|---|---|---:|---:|---:|---:|---|---|");
        foreach ((string name, string peer, Func<int, Task> peerCall, Func<int, Task> kvCall) in rows)
        {
            Dictionary<string, long> peerCounts = await MeasureAsync(server, peerCall, Repetitions);
            Dictionary<string, long> kvCounts = await MeasureAsync(server, kvCall, Repetitions);
            output.WriteLine(
                $"| {name} | {peer} | {PerOperation(peerCounts.Values.Sum(), Repetitions)} | {PerOperation(kvCounts.Values.Sum(), Repetitions)} | {Cpu(peerCounts)} | {Cpu(kvCounts)} | {Breakdown(peerCounts, Repetitions)} | {Breakdown(kvCounts, Repetitions)} |");
        }

        static async Task DecideAsync(RateLimiter limiter)
        {
            using RateLimitLease lease = await limiter.AcquireAsync(1);
        }

        static async Task PeerLockAsync(RedisDistributedLock peer)
        {
            await using RedisDistributedLockHandle? handle = await peer.TryAcquireAsync();
        }

        static async Task KvLockAsync(KvDistributedLockProvider locks, string name)
        {
            await using KvDistributedLockHandle? handle = await locks.TryAcquireAsync(name);
        }
    }

    private static async Task<bool> RawTransactionAsync(IDatabase db)
    {
        ITransaction transaction = db.CreateTransaction();
        transaction.AddCondition(Condition.KeyExists(Physical("k")));
        _ = transaction.StringSetAsync(Physical("t1"), "1");
        _ = transaction.StringIncrementAsync(Physical("n"));
        return await transaction.ExecuteAsync();
    }

    private static async Task<Dictionary<string, long>> MeasureAsync(IServer server, Func<int, Task> call, int repetitions)
    {
        await server.ExecuteAsync("CONFIG", "RESETSTAT");
        double cpu = await CpuAsync(server);
        for (int i = 0; i < repetitions; i++)
        {
            await call(i);
        }

        Dictionary<string, long> counts = Parse(await server.InfoRawAsync("commandstats") ?? string.Empty);
        ServerMicroseconds[counts] = (await CpuAsync(server) - cpu) * 1e6 / repetitions;
        return counts;
    }

    // The server's CPU time (user + system) from INFO cpu, in seconds: everything it did for the calls, parsing and
    // replying included. Noisy on a shared machine; the command counts are exact.
    private static async Task<double> CpuAsync(IServer server)
    {
        double total = 0;
        foreach (string line in (await server.InfoRawAsync("cpu") ?? string.Empty).Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith("used_cpu_user:", StringComparison.Ordinal) || trimmed.StartsWith("used_cpu_sys:", StringComparison.Ordinal))
            {
                total += double.Parse(trimmed[(trimmed.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private static string Cpu(Dictionary<string, long> counts) =>
        ServerMicroseconds.TryGetValue(counts, out double micros) ? micros.ToString("0.0", CultureInfo.InvariantCulture) : "?";

    /// <summary>Reads <c>cmdstat_NAME:calls=N,…</c> lines into NAME → N, without the measurement's own commands.</summary>
    private static Dictionary<string, long> Parse(string info)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in info.Split('\n'))
        {
            string trimmed = line.Trim();
            if (!trimmed.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }

            int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
            string name = trimmed["cmdstat_".Length..colon];
            string calls = trimmed[(colon + 1)..].Split(',')[0]["calls=".Length..];
            if (!Ignored.Contains(name))
            {
                counts[name] = long.Parse(calls, CultureInfo.InvariantCulture);
            }
        }

        return counts;
    }

    private static string PerOperation(long total, int repetitions) =>
        (total / (double)repetitions).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Breakdown(Dictionary<string, long> counts, int repetitions)
    {
        var text = new StringBuilder();
        foreach (KeyValuePair<string, long> pair in counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            // "script|load" is a subcommand: printed "SCRIPT LOAD", so that it cannot split a Markdown table cell.
            text.Append(text.Length == 0 ? string.Empty : ", ").Append(pair.Key.ToUpperInvariant().Replace('|', ' ')).Append(' ').Append(PerOperation(pair.Value, repetitions));
        }

        return text.ToString();
    }

    private static string Physical(string key) => "{stats}" + KvKeyLayout.KeySeparator + key;
}
