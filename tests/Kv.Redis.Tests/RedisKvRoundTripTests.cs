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

        // Connect, register the root "ops" (a TTL write adds it to the adaptor's root registry once), and let the
        // multiplexer load every script: the first use of a script on a server also loads it. None of that is an
        // operation's own command.
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
    public async Task Set_is_one_script_on_the_data_key_and_the_namespace_index()
    {
        string[] command = await OnlyCommandOf(() => _store.SetAsync("a", "v").AsTask());

        // EVAL <script> 6 <data> <ord> <exp> <ix> <ver> <ns> <key> <namespace> <payload> <ttl> <metadata> <mode>: every key in KEYS.
        AssertScript(command, [.. WriteKeys("a")], ["a", "ops", "\"v\"", "", "", "set"]);
    }

    [Fact]
    public async Task Set_with_ttl_is_one_script_with_the_ttl() =>
        AssertScript(
            await OnlyCommandOf(() => _store.SetAsync("a", "v", KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(1500))).AsTask()),
            [.. WriteKeys("a")],
            ["a", "ops", "\"v\"", "1500", "", "set"]);

    [Fact]
    public async Task Set_with_metadata_sends_the_metadata_json() =>
        AssertScript(
            await OnlyCommandOf(() => _store.SetAsync("a", 1, new KvSetOptions { Metadata = new { Tag = "x" } }).AsTask()),
            [.. WriteKeys("a")],
            ["a", "ops", "1", "", "{\"Tag\":\"x\"}", "set"]);

    [Fact]
    public async Task Ttl_fraction_of_a_millisecond_is_sent_rounded_up() =>
        AssertScript(
            await OnlyCommandOf(() => _store.SetAsync("a", 1, KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(1000.25))).AsTask()),
            [.. WriteKeys("a")],
            ["a", "ops", "1", "1001", "", "set"]);

    [Fact]
    public async Task Set_if_not_exists_with_ttl_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.SetIfNotExistsAsync("lock", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(30))).AsTask()),
            [.. WriteKeys("lock")],
            ["lock", "ops", "1", "30000", "", "nx"]);

    [Fact]
    public async Task Set_if_not_exists_without_ttl_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.SetIfNotExistsAsync("lock2", 1).AsTask()),
            [.. WriteKeys("lock2")],
            ["lock2", "ops", "1", "", "", "nx"]);

    [Fact]
    public async Task Get_is_one_GET() =>
        Assert.Equal(["GET", "rt:{ops}::warm"], await OnlyCommandOf(() => _store.GetAsync<int>("warm").AsTask()));

    [Fact]
    public async Task Get_entry_is_one_script_reading_the_data_key_and_its_index_record() =>
        AssertScript(await OnlyCommandOf(() => _store.GetEntryAsync<int>("warm").AsTask()), ["rt:{ops}::warm", "rt:{ops}::__kv:ix"], ["warm"]);

    [Fact]
    public async Task Exists_is_one_EXISTS() =>
        Assert.Equal(["EXISTS", "rt:{ops}::warm"], await OnlyCommandOf(() => _store.ExistsAsync("warm").AsTask()));

    [Fact]
    public async Task Delete_is_one_script() =>
        AssertScript(await OnlyCommandOf(() => _store.DeleteAsync("gone").AsTask()), ["rt:{ops}::gone", .. IndexKeys], ["gone"]);

    [Fact]
    public async Task Expire_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.ExpireAsync("warm", TimeSpan.FromMinutes(1)).AsTask()),
            ["rt:{ops}::warm", .. IndexKeys, "rt:{ops}::__kv:ns"],
            ["warm", "ops", "60000"]);

    [Fact]
    public async Task Expire_at_is_the_same_script_with_the_remaining_ttl()
    {
        string[] command = await OnlyCommandOf(() => _store.ExpireAtAsync("warm", DateTimeOffset.UtcNow.AddHours(1)).AsTask());

        Assert.Equal("EVAL", command[0]);
        Assert.Equal("5", command[2]);
    }

    [Fact]
    public async Task Persist_is_one_script() =>
        AssertScript(await OnlyCommandOf(() => _store.PersistAsync("warm").AsTask()), ["rt:{ops}::warm", .. IndexKeys], ["warm"]);

    [Fact]
    public async Task Time_to_live_is_one_PTTL() =>
        Assert.Equal(["PTTL", "rt:{ops}::warm"], await OnlyCommandOf(() => _store.GetTimeToLiveAsync("warm").AsTask()));

    [Fact]
    public async Task Increment_that_creates_with_a_ttl_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.IncrementAsync("new-counter", 5, KvSetOptions.WithTtl(TimeSpan.FromSeconds(10))).AsTask()),
            [.. WriteKeys("new-counter")],
            ["new-counter", "ops", "5", "10000", ""]);

    [Fact]
    public async Task Increment_of_an_existing_counter_is_one_script()
    {
        await _store.SetAsync("counter", 1);

        Assert.Equal("EVAL", (await OnlyCommandOf(() => _store.IncrementAsync("counter").AsTask()))[0]);
    }

    [Fact]
    public async Task Get_many_is_one_MGET() =>
        Assert.Equal(["MGET", "rt:{ops}::a", "rt:{ops}::b", "rt:{ops}::c"], await OnlyCommandOf(() => _store.GetManyAsync<int>(["a", "b", "c", "a"]).AsTask()));

    [Fact]
    public async Task Set_many_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.SetManyAsync([new KeyValuePair<string, int>("a", 1), new("b", 2)], KvSetOptions.WithTtl(TimeSpan.FromSeconds(5))).AsTask()),
            [.. IndexKeys, "rt:{ops}::__kv:ver", "rt:{ops}::__kv:ns", "rt:{ops}::a", "rt:{ops}::b"],
            ["ops", "5000", "a", "1", "", "b", "2", ""]);

    [Fact]
    public async Task Delete_many_is_one_script() =>
        AssertScript(
            await OnlyCommandOf(() => _store.DeleteManyAsync(["a", "b"]).AsTask()),
            [.. IndexKeys, "rt:{ops}::a", "rt:{ops}::b"],
            ["a", "b"]);

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
        Assert.Equal("10", command[2]); // ver, ns registry; ord/exp/ix of "ops" and of "ops:child"; two data keys.
    }

    [Fact]
    public async Task A_short_listing_is_one_script_on_the_index() =>
        AssertScript(await OnlyCommandOf(() => _store.ListAsync(limit: 10).AsTask()), [.. IndexKeys], ["-", "+", "16", "info", "rt:{ops}::"]);

    [Fact]
    public async Task Counting_every_key_is_one_script() =>
        AssertScript(await OnlyCommandOf(() => _store.CountAsync().AsTask()), ["rt:{ops}::__kv:ord", "rt:{ops}::__kv:exp"], ["rt:{ops}::"]);

    [Fact]
    public async Task Key_sizes_are_one_script() =>
        AssertScript(await OnlyCommandOf(() => _store.GetStorageSizeAsync(["warm", "x"]).AsTask()), ["rt:{ops}::__kv:ix", "rt:{ops}::__kv:exp"], ["rt:{ops}::", "warm", "x"]);

    private static string[] IndexKeys => ["rt:{ops}::__kv:ord", "rt:{ops}::__kv:exp", "rt:{ops}::__kv:ix"];

    private static IEnumerable<string> WriteKeys(string key) =>
        ["rt:{ops}::" + key, .. IndexKeys, "rt:{ops}::__kv:ver", "rt:{ops}::__kv:ns"];

    /// <summary>Asserts that a command is EVAL with exactly these KEYS and ARGV.</summary>
    private static void AssertScript(string[] command, string[] keys, string[] args)
    {
        Assert.Equal("EVAL", command[0]);
        Assert.Equal(keys.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), command[2]);
        Assert.Equal(keys, command[3..(3 + keys.Length)]);
        Assert.Equal(args, command[(3 + keys.Length)..]);
    }

    /// <summary>Runs <paramref name="operation"/> and returns the one command it sent, as its arguments.</summary>
    private async Task<string[]> OnlyCommandOf(Func<Task> operation)
    {
        await CommandsUntilMarkerAsync(); // Whatever came before (the test's own setup) is not the operation's.
        await operation();
        return Assert.Single(await CommandsUntilMarkerAsync());
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
