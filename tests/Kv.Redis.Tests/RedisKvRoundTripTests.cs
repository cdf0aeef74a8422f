using System.Text;
using System.Text.RegularExpressions;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>
/// Every point operation is exactly one command on the server. A MONITOR connection on a server of this class's own
/// sees every command in execution order; after each operation a marker command closes the window, and the commands
/// inside it are counted. Commands a script runs (MONITOR source "lua") are part of that script's one command, and the
/// multiplexer's own housekeeping (PING, ECHO, INFO, CLUSTER, CLIENT, CONFIG, SUBSCRIBE…) is not an operation's.
/// </summary>
public sealed partial class RedisKvRoundTripTests(DedicatedRedisServerFixture redis) : IClassFixture<DedicatedRedisServerFixture>, IAsyncLifetime
{
    private static readonly HashSet<string> Housekeeping = new(StringComparer.OrdinalIgnoreCase)
    {
        "PING", "ECHO", "INFO", "CLUSTER", "CLIENT", "CONFIG", "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "QUIT", "SELECT", "AUTH", "HELLO",
    };

    private RedisKv _kv = null!;
    private IAtomicKvStore _store = null!;
    private RespConnection _monitor = null!;
    private RespConnection _marker = null!;
    private int _markers;

    public async Task InitializeAsync()
    {
        _kv = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = "rt:" });
        _store = _kv.Namespace("ops");

        // Connect and run every operation once, so that nothing a first call does (connecting, reading the server's
        // configuration) is counted as an operation's own command.
        await _store.SetAsync("warm", 1, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));
        await _store.SetAsync("warm", 1);
        await _store.GetEntryAsync<int>("warm");
        await _store.IncrementAsync("warm");
        await _store.DeleteAsync("cold");
        await _store.ExpireAsync("cold", TimeSpan.FromMinutes(1));
        await _store.PersistAsync("cold");
        await _store.SetManyAsync([new KeyValuePair<string, int>("cold", 1)]);
        await _store.DeleteManyAsync(["cold"]);
        await _store.ListAsync();
        await _store.CountAsync();
        await _store.GetStorageSizeAsync(["warm"]);
        await _store.CreateTransaction().Set(_store, "cold", 1).CommitAsync();
        await _store.DeleteAsync("cold");

        _monitor = await RespConnection.ConnectAsync(redis.EndPoint);
        Assert.Equal("OK", await _monitor.CommandTextAsync("MONITOR"));
        _marker = await RespConnection.ConnectAsync(redis.EndPoint);
    }

    public async Task DisposeAsync()
    {
        await _kv.DisposeAsync();
        await _monitor.DisposeAsync();
        await _marker.DisposeAsync();
    }

    [Fact]
    public async Task Set_is_one_SET_of_the_payload() =>
        Assert.Equal(["SET", "rt:{ops}::a", "\"v\""], await OnlyCommandOf(() => _store.SetAsync("a", "v").AsTask()));

    [Fact]
    public async Task Set_with_ttl_is_one_PSETEX() =>
        Assert.Equal(["PSETEX", "rt:{ops}::a", "1500", "\"v\""], await OnlyCommandOf(() => _store.SetAsync("a", "v", KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(1500))).AsTask()));

    [Fact]
    public async Task Set_with_metadata_is_one_SET_with_the_metadata_in_the_value_header() =>
        Assert.Equal(
            ["SET", "rt:{ops}::a", "\u00fe:11:{\"Tag\":\"x\"}1"],
            await OnlyCommandOf(() => _store.SetAsync("a", 1, new KvSetOptions { Metadata = new { Tag = "x" } }).AsTask()));

    [Fact]
    public async Task Ttl_fraction_of_a_millisecond_is_sent_rounded_up() =>
        Assert.Equal(["PSETEX", "rt:{ops}::a", "1001", "1"], await OnlyCommandOf(() => _store.SetAsync("a", 1, KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(1000.25))).AsTask()));

    [Fact]
    public async Task Set_if_not_exists_with_ttl_is_one_SET_NX() =>
        Assert.Equal(
            ["SET", "rt:{ops}::lock", "1", "EX", "30", "NX"],
            await OnlyCommandOf(() => _store.SetIfNotExistsAsync("lock", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(30))).AsTask()));

    [Fact]
    public async Task Set_if_not_exists_without_ttl_is_one_SETNX() =>
        Assert.Equal(["SETNX", "rt:{ops}::lock2", "1"], await OnlyCommandOf(() => _store.SetIfNotExistsAsync("lock2", 1).AsTask()));

    [Fact]
    public async Task Get_is_one_GET() =>
        Assert.Equal(["GET", "rt:{ops}::warm"], await OnlyCommandOf(() => _store.GetAsync<int>("warm").AsTask()));

    [Fact]
    public async Task Get_entry_is_one_script_reading_the_data_key_with_the_version_counter_beside_it() =>
        AssertScript(await OnlyCommandOf(() => _store.GetEntryAsync<int>("warm").AsTask()), ["rt:{ops}::warm", "rt:{ops}::__kv:ver"], []);

    [Fact]
    public async Task Exists_is_one_EXISTS() =>
        Assert.Equal(["EXISTS", "rt:{ops}::warm"], await OnlyCommandOf(() => _store.ExistsAsync("warm").AsTask()));

    [Fact]
    public async Task Delete_is_one_UNLINK() =>
        Assert.Equal(["UNLINK", "rt:{ops}::gone"], await OnlyCommandOf(() => _store.DeleteAsync("gone").AsTask()));

    [Fact]
    public async Task Expire_is_one_script() =>
        AssertScript(await OnlyCommandOf(() => _store.ExpireAsync("warm", TimeSpan.FromMilliseconds(60500)).AsTask()), ["rt:{ops}::warm"], ["60500"]);

    [Fact]
    public async Task Expire_at_is_the_same_script_with_the_remaining_ttl()
    {
        string[] command = await OnlyCommandOf(() => _store.ExpireAtAsync("warm", DateTimeOffset.UtcNow.AddHours(1)).AsTask());

        Assert.Equal("EVAL", command[0]);
        Assert.Equal(["1", "rt:{ops}::warm"], command[2..4]);
        Assert.InRange(long.Parse(command[4], System.Globalization.CultureInfo.InvariantCulture), 3_500_000, 3_600_000);
    }

    [Fact]
    public async Task Persist_is_one_script() =>
        AssertScript(await OnlyCommandOf(() => _store.PersistAsync("warm").AsTask()), ["rt:{ops}::warm"], []);

    [Fact]
    public async Task Time_to_live_is_one_PTTL() =>
        Assert.Equal(["PTTL", "rt:{ops}::warm"], await OnlyCommandOf(() => _store.GetTimeToLiveAsync("warm").AsTask()));

    [Fact]
    public async Task Increment_that_creates_with_a_ttl_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.IncrementAsync("new-counter", 5, KvSetOptions.WithTtl(TimeSpan.FromSeconds(10))).AsTask()),
            ["rt:{ops}::new-counter"],
            ["5", "10000", ""]);

    [Fact]
    public async Task Increment_of_an_existing_counter_is_one_INCR_or_DECRBY()
    {
        await _store.SetAsync("counter", 1);

        Assert.Equal(["INCR", "rt:{ops}::counter"], await OnlyCommandOf(() => _store.IncrementAsync("counter").AsTask()));
        Assert.Equal(["DECRBY", "rt:{ops}::counter", "5"], await OnlyCommandOf(() => _store.IncrementAsync("counter", -5).AsTask()));
    }

    [Fact]
    public async Task Get_many_is_one_MGET() =>
        Assert.Equal(["MGET", "rt:{ops}::m1", "rt:{ops}::m2", "rt:{ops}::m3"], await OnlyCommandOf(() => _store.GetManyAsync<int>(["m1", "m2", "m3", "m1"]).AsTask()));

    [Fact]
    public async Task Set_many_is_one_MSET() =>
        Assert.Equal(
            ["MSET", "rt:{ops}::a", "1", "rt:{ops}::b", "2"],
            await OnlyCommandOf(() => _store.SetManyAsync([new KeyValuePair<string, int>("a", 1), new("b", 2)]).AsTask()));

    [Fact]
    public async Task Set_many_with_a_ttl_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.SetManyAsync([new KeyValuePair<string, int>("a", 1), new("b", 2)], KvSetOptions.WithTtl(TimeSpan.FromSeconds(5))).AsTask()),
            ["rt:{ops}::a", "rt:{ops}::b"],
            ["5000", "1", "2"]);

    [Fact]
    public async Task Delete_many_is_one_UNLINK() =>
        Assert.Equal(["UNLINK", "rt:{ops}::a", "rt:{ops}::b"], await OnlyCommandOf(() => _store.DeleteManyAsync(["a", "b"]).AsTask()));

    [Fact]
    public async Task A_transaction_is_one_script()
    {
        IAtomicKvStore child = _store.Namespace("child");
        KvTransaction transaction = _store.CreateTransaction()
            .Check(_store, "a", null)
            .Set(_store, "a", 1)
            .Increment(child, "n", 2);

        string[] command = await OnlyCommandOf(() => transaction.CommitAsync().AsTask());

        Assert.Equal("EVAL", command[0]);
        Assert.Equal("3", command[2]); // The root's version counter and the two data keys.
        Assert.Equal(["rt:{ops}::__kv:ver", "rt:{ops}::a", "rt:{ops}:child::n"], command[3..6]);
    }

    [Fact]
    public async Task A_short_listing_is_one_SCAN_of_the_namespace_then_one_script_describing_the_page()
    {
        await _store.SetAsync("listed", 1);

        List<string[]> commands = await CommandsOf(() => _store.ListAsync(limit: 10).AsTask());

        Assert.Equal(2, commands.Count);
        Assert.Equal(["SCAN", "0", "MATCH", "rt:{ops}::*", "COUNT", "1000"], commands[0]);
        Assert.Equal("EVAL", commands[1][0]);
        Assert.Contains("rt:{ops}::listed", commands[1]);
        Assert.DoesNotContain(commands[1], a => a.Contains("__kv:", StringComparison.Ordinal));
        Assert.Equal("info", commands[1][^1]);
    }

    [Fact]
    public async Task A_listing_by_key_prefix_scans_only_that_prefix_with_glob_characters_escaped()
    {
        List<string[]> commands = await CommandsOf(() => _store.ListAsync("a*[b]?\\").AsTask());

        Assert.Equal(["SCAN", "0", "MATCH", "rt:{ops}::a\\*\\[b\\]\\?\\\\*", "COUNT", "1000"], Assert.Single(commands));
    }

    [Fact]
    public async Task Key_sizes_are_one_script() =>
        AssertScript(await OnlyCommandOf(() => _store.GetStorageSizeAsync(["warm", "x"]).AsTask()), ["rt:{ops}::warm", "rt:{ops}::x"], []);

    /// <summary>Asserts that a command is EVAL with exactly these KEYS and ARGV.</summary>
    private static void AssertScript(string[] command, string[] keys, string[] args)
    {
        Assert.Equal("EVAL", command[0]);
        Assert.Equal(keys.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), command[2]);
        Assert.Equal(keys, command[3..(3 + keys.Length)]);
        Assert.Equal(args, command[(3 + keys.Length)..]);
    }

    /// <summary>Runs <paramref name="operation"/> and returns the one command it sent, as its arguments.</summary>
    private async Task<string[]> OnlyCommandOf(Func<Task> operation) => Assert.Single(await CommandsOf(operation));

    /// <summary>Runs <paramref name="operation"/> and returns the commands it sent, as their arguments.</summary>
    private async Task<List<string[]>> CommandsOf(Func<Task> operation)
    {
        await CommandsUntilMarkerAsync(); // Whatever came before (the test's own setup) is not the operation's.
        await operation();
        return await CommandsUntilMarkerAsync();
    }

    /// <summary>Sends a marker and returns the operations' commands MONITOR showed before it.</summary>
    private async Task<List<string[]>> CommandsUntilMarkerAsync()
    {
        string marker = "kv-marker-" + Interlocked.Increment(ref _markers);
        Assert.Equal(marker, await _marker.CommandTextAsync("ECHO", marker));

        var commands = new List<string[]>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            string line = (string)(await _monitor.ReadReplyAsync(timeout.Token))!;
            Match match = MonitorLine().Match(line);
            Assert.True(match.Success, "Unexpected MONITOR line: " + line);
            string[] args = [.. match.Groups["arg"].Captures.Select(c => Unescape(c.Value))];
            if (args is ["ECHO", var echoed] && echoed == marker)
            {
                return commands;
            }

            if (match.Groups["source"].Value != "lua" && !Housekeeping.Contains(args[0]))
            {
                commands.Add(args);
            }
        }
    }

    // 1700000000.123456 [0 127.0.0.1:50000] "SET" "key" "value"
    [GeneratedRegex("""^\d+\.\d+ \[\d+ (?<source>[^\]]+)\](?: "(?<arg>(?:[^"\\]|\\.)*)")+$""")]
    private static partial Regex MonitorLine();

    private static string Unescape(string quoted)
    {
        var text = new StringBuilder();
        for (int i = 0; i < quoted.Length; i++)
        {
            if (quoted[i] == '\\' && i + 1 < quoted.Length)
            {
                i++;
                text.Append(quoted[i] switch
                {
                    'n' => "\n",
                    'r' => "\r",
                    't' => "\t",
                    'x' => ((char)Convert.ToInt32(quoted.Substring(i + 1, 2), 16)).ToString(),
                    char c => c.ToString(),
                });
                if (quoted[i] == 'x')
                {
                    i += 2;
                }
            }
            else
            {
                text.Append(quoted[i]);
            }
        }

        return text.ToString();
    }
}
