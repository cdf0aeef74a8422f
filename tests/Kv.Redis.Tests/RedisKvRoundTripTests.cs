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

        // Connect, and let the multiplexer load its scripts: the first use of a script on a server also sends SCRIPT
        // LOAD (pipelined with its EVALSHA, in the same write, so still one round trip).
        await _store.SetAsync("warm", 1);
        await _store.GetEntryAsync<int>("warm");
        await _store.IncrementAsync("warm");

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
    public async Task Set_is_one_SET() =>
        Assert.Equal(["SET", "rt:ops::a", "\"v\""], await OnlyCommandOf(() => _store.SetAsync("a", "v").AsTask()));

    [Fact]
    public async Task Set_with_ttl_is_one_SET_PX() =>
        Assert.Equal(["SET", "rt:ops::a", "\"v\"", "PX", "1500"], await OnlyCommandOf(() => _store.SetAsync("a", "v", KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(1500))).AsTask()));

    [Fact]
    public async Task Ttl_fraction_of_a_millisecond_is_sent_rounded_up() =>
        Assert.Equal(["SET", "rt:ops::a", "1", "PX", "1001"], await OnlyCommandOf(() => _store.SetAsync("a", 1, KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(1000.25))).AsTask()));

    [Fact]
    public async Task Set_if_not_exists_with_ttl_is_one_SET_NX_PX() =>
        Assert.Equal(["SET", "rt:ops::lock", "1", "NX", "PX", "30000"], await OnlyCommandOf(() => _store.SetIfNotExistsAsync("lock", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(30))).AsTask()));

    [Fact]
    public async Task Set_if_not_exists_without_ttl_is_one_SET_NX() =>
        Assert.Equal(["SET", "rt:ops::lock2", "1", "NX"], await OnlyCommandOf(() => _store.SetIfNotExistsAsync("lock2", 1).AsTask()));

    [Fact]
    public async Task Get_is_one_GET() =>
        Assert.Equal(["GET", "rt:ops::warm"], await OnlyCommandOf(() => _store.GetAsync<int>("warm").AsTask()));

    [Fact]
    public async Task Get_entry_is_one_script() =>
        Assert.Equal("EVALSHA", (await OnlyCommandOf(() => _store.GetEntryAsync<int>("warm").AsTask()))[0]);

    [Fact]
    public async Task Exists_is_one_EXISTS() =>
        Assert.Equal(["EXISTS", "rt:ops::warm"], await OnlyCommandOf(() => _store.ExistsAsync("warm").AsTask()));

    [Fact]
    public async Task Delete_is_one_DEL() =>
        Assert.Equal(["DEL", "rt:ops::gone"], await OnlyCommandOf(() => _store.DeleteAsync("gone").AsTask()));

    [Fact]
    public async Task Expire_is_one_PEXPIRE() =>
        Assert.Equal(["PEXPIRE", "rt:ops::warm", "60000"], await OnlyCommandOf(() => _store.ExpireAsync("warm", TimeSpan.FromMinutes(1)).AsTask()));

    [Fact]
    public async Task Increment_that_creates_with_a_ttl_is_one_script()
    {
        string[] command = await OnlyCommandOf(() => _store.IncrementAsync("new-counter", 5, KvSetOptions.WithTtl(TimeSpan.FromSeconds(10))).AsTask());

        // EVALSHA <sha> 1 <key> <by> <ttl ms>: the key is in KEYS.
        Assert.Equal(["EVALSHA", "1", "rt:ops::new-counter", "5", "10000"], [command[0], .. command[2..]]);
    }

    [Fact]
    public async Task Increment_of_an_existing_counter_is_one_script()
    {
        await _store.SetAsync("counter", 1);

        Assert.Equal("EVALSHA", (await OnlyCommandOf(() => _store.IncrementAsync("counter").AsTask()))[0]);
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
