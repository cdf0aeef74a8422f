using System.Globalization;
using Kv.Redis.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kv.Redis.Tests;

/// <summary>
/// Every script-backed point operation is exactly one command on the server (one EVAL): the first call of a new
/// adaptor, a repeated call, and the first call after SCRIPT FLUSH. Counted with INFO commandstats on a server of the
/// class's own; the commands a script runs inside are counted by Redis as well and are left out here.
/// </summary>
public sealed class RedisScriptCommandTests(DedicatedRedisServerFixture redis, ITestOutputHelper output) : IClassFixture<DedicatedRedisServerFixture>
{
    // What a client can send for a script, as INFO commandstats names them.
    private static readonly string[] ScriptCommands = ["eval", "evalsha", "eval_ro", "evalsha_ro", "script|load", "script|exists", "script"];

    public static TheoryData<string> Operations() =>
        ["Set", "SetIfNotExists", "Delete", "Expire", "Persist", "Increment", "GetEntry", "SetMany", "DeleteMany", "Commit"];

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

    private static Func<Task> Call(IAtomicKvStore store, string operation) => operation switch
    {
        "Set" => () => store.SetAsync("k", 2).AsTask(),
        "SetIfNotExists" => () => store.SetIfNotExistsAsync("other", 2).AsTask(),
        "Delete" => () => store.DeleteAsync("gone").AsTask(),
        "Expire" => () => store.ExpireAsync("k", TimeSpan.FromMinutes(5)).AsTask(),
        "Persist" => () => store.PersistAsync("k").AsTask(),
        "Increment" => () => store.IncrementAsync("n").AsTask(),
        "GetEntry" => () => store.GetEntryAsync<int>("k").AsTask(),
        "SetMany" => () => store.SetManyAsync<int>([new("a", 1), new("b", 2)]).AsTask(),
        "DeleteMany" => () => store.DeleteManyAsync(["a", "b"]).AsTask(),
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
