using System.Globalization;
using Kv.Redis.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kv.Redis.Tests;

/// <summary>
/// Every script-backed operation is exactly one command from the client (one EVAL): the first call of a new adaptor, a
/// repeated call, and the first call after SCRIPT FLUSH. And what Redis executes per operation (a plain command, or the
/// EVAL plus the commands its script runs) is pinned per operation. Counted with INFO commandstats on a server of the
/// class's own.
/// </summary>
public sealed class RedisScriptCommandTests(DedicatedRedisServerFixture redis, ITestOutputHelper output) : IClassFixture<DedicatedRedisServerFixture>
{
    // What a client can send for a script, as INFO commandstats names them.
    private static readonly string[] ScriptCommands = ["eval", "evalsha", "eval_ro", "evalsha_ro", "script|load", "script|exists", "script"];

    public static TheoryData<string> Operations() =>
        ["GetEntry", "Expire", "Persist", "Increment with TTL", "SetMany with TTL", "Commit"];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_script_backed_operation_is_one_EVAL_first_again_and_after_SCRIPT_FLUSH(string operation)
    {
        await using RespConnection cli = await RespConnection.ConnectAsync(redis.EndPoint);
        await using var kv = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration });
        IAtomicKvStore store = kv.Namespace("count-" + operation);
        await kv.PingAsync();
        await store.SetAsync("k", 1); // Something to delete, expire, persist and read.
        Func<Task> call = Call(store, operation);

        Assert.Equal("OK", await cli.CommandTextAsync("SCRIPT", "FLUSH"));
        foreach (string when in (string[])["after SCRIPT FLUSH", "again", "again after SCRIPT FLUSH"])
        {
            if (when == "again after SCRIPT FLUSH")
            {
                Assert.Equal("OK", await cli.CommandTextAsync("SCRIPT", "FLUSH"));
            }

            Dictionary<string, long> before = await StatsAsync(cli);
            await call();
            Dictionary<string, long> after = await StatsAsync(cli);
            string[] sent = [.. ScriptCommands.Where(c => after.GetValueOrDefault(c) != before.GetValueOrDefault(c))
                .Select(c => $"{c}={after.GetValueOrDefault(c) - before.GetValueOrDefault(c)}")];
            output.WriteLine($"{operation} {when}: {string.Join(", ", sent)}");
            Assert.Equal(["eval=1"], sent);
        }
    }

    /// <summary>
    /// What Redis executes per operation (the <c>EVAL</c> plus every command its script runs), as docs/redis.md lists
    /// it ("What each operation costs"), on keys in the state the name says.
    /// </summary>
    public static TheoryData<string, long> Costs() => new()
    {
        { "Get", 1 },
        { "GetEntry, first read after a write", 5 },
        { "GetEntry, read again", 3 },
        { "Count of 4 keys", 6 },
        { "Exists", 1 },
        { "GetTimeToLive", 1 },
        { "Set, overwrite", 1 },
        { "Set, new key", 1 },
        { "Set with TTL, overwrite", 1 },
        { "Set with TTL, new key", 1 },
        { "Set with metadata", 1 },
        { "SetIfNotExists, key present", 1 },
        { "Increment, key present", 1 },
        { "Increment with TTL, key present", 3 },
        { "Increment with TTL, key missing", 2 },
        { "Delete, live key", 1 },
        { "Delete, missing key", 1 },
        { "Expire", 3 },
        { "Persist, key with TTL", 3 },
        { "GetMany of 2", 1 },
        { "SetMany of 2", 1 },
        { "SetMany of 2 with TTL", 3 },
        { "DeleteMany of 2", 1 },
        { "Commit of a set and an increment", 5 },
    };

    [Theory]
    [MemberData(nameof(Costs))]
    public async Task Commands_per_operation_are_pinned(string operation, long commands)
    {
        await using RespConnection cli = await RespConnection.ConnectAsync(redis.EndPoint);
        await using var kv = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration });
        IAtomicKvStore store = kv.Namespace("cost-" + Guid.NewGuid().ToString("N")[..8]);
        await store.SetAsync("k", 1);
        await store.SetAsync("t", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(5)));
        await store.SetManyAsync<int>([new("a", 1), new("b", 2)]);
        Dictionary<string, long> before = [];
        Func<Task> call = operation switch
        {
            "Get" => () => store.GetAsync<int>("k").AsTask(),
            "GetEntry, first read after a write" => () => store.GetEntryAsync<int>("k").AsTask(),
            "GetEntry, read again" => async () =>
            {
                await store.GetEntryAsync<int>("k");
                before = await StatsAsync(cli);
                await store.GetEntryAsync<int>("k");
            },
            "Count of 4 keys" => () => store.CountAsync().AsTask(),
            "Exists" => () => store.ExistsAsync("k").AsTask(),
            "GetTimeToLive" => () => store.GetTimeToLiveAsync("k").AsTask(),
            "Set, overwrite" => () => store.SetAsync("k", 2).AsTask(),
            "Set, new key" => () => store.SetAsync("new", 2).AsTask(),
            "Set with TTL, overwrite" => () => store.SetAsync("t", 2, KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
            "Set with TTL, new key" => () => store.SetAsync("new", 2, KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
            "Set with metadata" => () => store.SetAsync("k", 2, new KvSetOptions { Metadata = new { A = 1 } }).AsTask(),
            "SetIfNotExists, key present" => () => store.SetIfNotExistsAsync("k", 2, KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
            "Increment, key present" => () => store.IncrementAsync("k", 1).AsTask(),
            "Increment with TTL, key present" => () => store.IncrementAsync("k", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
            "Increment with TTL, key missing" => () => store.IncrementAsync("new", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
            "Delete, live key" => () => store.DeleteAsync("k").AsTask(),
            "Delete, missing key" => () => store.DeleteAsync("missing").AsTask(),
            "Expire" => () => store.ExpireAsync("k", TimeSpan.FromMinutes(5)).AsTask(),
            "Persist, key with TTL" => () => store.PersistAsync("t").AsTask(),
            "GetMany of 2" => () => store.GetManyAsync<int>(["a", "b"]).AsTask(),
            "SetMany of 2" => () => store.SetManyAsync<int>([new("a", 3), new("b", 4)]).AsTask(),
            "SetMany of 2 with TTL" => () => store.SetManyAsync<int>([new("a", 3), new("b", 4)], KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
            "DeleteMany of 2" => () => store.DeleteManyAsync(["a", "b"]).AsTask(),
            "Commit of a set and an increment" => () => store.CreateTransaction().Set(store, "t", 1).Increment(store, "k").CommitAsync().AsTask(),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };

        before = await StatsAsync(cli);
        await call(); // "read again" takes its own "before", after its first read.
        Dictionary<string, long> after = await StatsAsync(cli);
        output.WriteLine($"{operation}: {Diff(before, after)}");
        Assert.Equal(commands, after.Where(p => p.Key != "info").Sum(p => p.Value - before.GetValueOrDefault(p.Key)));
    }

    private static Func<Task> Call(IAtomicKvStore store, string operation) => operation switch
    {
        "GetEntry" => () => store.GetEntryAsync<int>("k").AsTask(),
        "Expire" => () => store.ExpireAsync("k", TimeSpan.FromMinutes(5)).AsTask(),
        "Persist" => () => store.PersistAsync("k").AsTask(),
        "Increment with TTL" => () => store.IncrementAsync("n", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
        "SetMany with TTL" => () => store.SetManyAsync<int>([new("a", 1), new("b", 2)], KvSetOptions.WithTtl(TimeSpan.FromMinutes(5))).AsTask(),
        "Commit" => () => store.CreateTransaction().Set(store, "t", 1).Increment(store, "n").CommitAsync().AsTask(),
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private static string Diff(Dictionary<string, long> from, Dictionary<string, long> to) =>
        string.Join(", ", to.Where(p => p.Key is not "info" && p.Value != from.GetValueOrDefault(p.Key)).Select(p => $"{p.Key}={p.Value - from.GetValueOrDefault(p.Key)}"));

    private static async Task<Dictionary<string, long>> StatsAsync(RespConnection cli)
    {
        string info = await cli.CommandTextAsync("INFO", "commandstats") ?? string.Empty;
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in info.Split("\r\n"))
        {
            // cmdstat_evalsha:calls=3,usec=...,rejected_calls=0,failed_calls=1
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                string name = line["cmdstat_".Length..line.IndexOf(':', StringComparison.Ordinal)];
                string calls = line.Split(':')[1].Split(',')[0]["calls=".Length..];
                stats[name] = long.Parse(calls, CultureInfo.InvariantCulture);
            }
        }

        return stats;
    }
}
