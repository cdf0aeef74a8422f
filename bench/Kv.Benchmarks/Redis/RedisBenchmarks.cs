using BenchmarkDotNet.Attributes;
using StackExchange.Redis;

namespace Kv.Benchmarks.Redis;

/// <summary>
/// <see cref="RedisKv"/> against raw StackExchange.Redis sending the nearest single command on the same multiplexer
/// (Kv is given the benchmark's own multiplexer through <see cref="RedisKvOptions.ConnectionMultiplexerFactory"/>),
/// against the redis-server that bench.sh starts on a loopback port and names in <c>KV_BENCH_REDIS</c>. These are the
/// rows of issue 13: SET PX, GET, EXISTS, DEL, INCRBY, SET NX PX, MGET, MSET.
/// </summary>
/// <remarks>
/// <para>Latency: one caller, one command at a time. Throughput: 64 callers, each awaiting its commands one after
/// another, so 64 are always in flight; the time reported is per command.</para>
/// <para>Batches: Kv's <c>GetManyAsync</c> and <c>SetManyAsync</c> of 100 keys against one raw <c>MGET</c> and one raw
/// <c>MSET</c> of the same 100 keys.</para>
/// <para>The server-side cost (commands Redis executes per Kv operation) is counted deterministically by
/// <c>./bench.sh --commandstats</c> (<see cref="RedisCommandStats"/>), not here.</para>
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class RedisBenchmarks
{
    /// <summary>The environment variable with the server's endpoint, e.g. <c>127.0.0.1:6390</c>.</summary>
    public const string EndpointVariable = "KV_BENCH_REDIS";

    private const string Latency = "Latency, 1 in flight: ";
    private const string Throughput = "Throughput, 64 in flight: ";
    private const string Batch = "Batch of 100: ";

    private const int Callers = 64;
    private const int CommandsPerCaller = 16;
    private const int ThroughputCommands = Callers * CommandsPerCaller;
    private const int BatchSize = 100;

    private const string Namespace = "bench";
    private const string Key = "user:12345";
    private const string Missing = "missing";
    private const string Counter = "counter";
    private const string Value = "a value of about thirty-two chars";

    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private static readonly KvSetOptions WithTtl = KvSetOptions.WithTtl(Ttl);

    private ConnectionMultiplexer _multiplexer = null!;
    private IDatabase _database = null!;
    private RedisKv _kv = null!;
    private IAtomicKvStore _store = null!;
    private RedisKey _physicalKey;
    private RedisKey _physicalMissing;
    private RedisKey _physicalCounter;
    private byte[] _payload = null!;
    private string[] _batchKeys = null!;
    private RedisKey[] _physicalBatchKeys = null!;
    private KeyValuePair<string, string>[] _batchItems = null!;
    private KeyValuePair<RedisKey, RedisValue>[] _physicalBatchItems = null!;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(Endpoint());
        _database = _multiplexer.GetDatabase();
        _kv = new RedisKv(new RedisKvOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_multiplexer),
        });
        _store = _kv.Namespace(Namespace);

        // The same physical keys and bytes on both sides (KvKeyLayout: namespace, "::", key).
        _physicalKey = Physical(Key);
        _physicalMissing = Physical(Missing);
        _physicalCounter = Physical(Counter);
        _payload = KvValueSerializer.Default.Serialize(Value).Payload!;
        await _store.SetAsync(Key, Value);
        await _store.IncrementAsync(Counter);

        _batchKeys = [.. Enumerable.Range(0, BatchSize).Select(i => "item:" + i)];
        _physicalBatchKeys = [.. _batchKeys.Select(k => (RedisKey)Physical(k))];
        _batchItems = [.. _batchKeys.Select(k => new KeyValuePair<string, string>(k, Value))];
        _physicalBatchItems = [.. _physicalBatchKeys.Select(k => new KeyValuePair<RedisKey, RedisValue>(k, _payload))];
        await _store.SetManyAsync(_batchItems);
    }

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalCleanup.
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        // Kv does not own the benchmark's multiplexer, so disposing Kv leaves it open; close it here.
        await _kv.DisposeAsync();
        await _multiplexer.CloseAsync();
        _multiplexer.Dispose();
    }

    // ---- latency, 1 in flight ----

    [Benchmark(Baseline = true, Description = "raw GET")]
    [BenchmarkCategory(Latency + "get")]
    public Task<RedisValue> RawGet() => _database.StringGetAsync(_physicalKey);

    [Benchmark(Description = "GetAsync<string>")]
    [BenchmarkCategory(Latency + "get")]
    public ValueTask<string?> KvGet() => _store.GetAsync<string>(Key);

    [Benchmark(Baseline = true, Description = "raw SET")]
    [BenchmarkCategory(Latency + "set")]
    public Task<bool> RawSet() => _database.StringSetAsync(_physicalKey, _payload);

    [Benchmark(Description = "SetAsync<string>")]
    [BenchmarkCategory(Latency + "set")]
    public ValueTask KvSet() => _store.SetAsync(Key, Value);

    [Benchmark(Baseline = true, Description = "raw SET PX")]
    [BenchmarkCategory(Latency + "set with TTL")]
    public Task<bool> RawSetTtl() => _database.StringSetAsync(_physicalKey, _payload, Ttl);

    [Benchmark(Description = "SetAsync<string> with TTL")]
    [BenchmarkCategory(Latency + "set with TTL")]
    public ValueTask KvSetTtl() => _store.SetAsync(Key, Value, WithTtl);

    [Benchmark(Baseline = true, Description = "raw EXISTS")]
    [BenchmarkCategory(Latency + "exists")]
    public Task<bool> RawExists() => _database.KeyExistsAsync(_physicalKey);

    [Benchmark(Description = "ExistsAsync")]
    [BenchmarkCategory(Latency + "exists")]
    public ValueTask<bool> KvExists() => _store.ExistsAsync(Key);

    [Benchmark(Baseline = true, Description = "raw DEL (missing key)")]
    [BenchmarkCategory(Latency + "delete")]
    public Task<bool> RawDelete() => _database.KeyDeleteAsync(_physicalMissing);

    [Benchmark(Description = "DeleteAsync (missing key)")]
    [BenchmarkCategory(Latency + "delete")]
    public ValueTask<bool> KvDelete() => _store.DeleteAsync(Missing);

    [Benchmark(Baseline = true, Description = "raw INCRBY")]
    [BenchmarkCategory(Latency + "increment")]
    public Task<long> RawIncrement() => _database.StringIncrementAsync(_physicalCounter, 1);

    [Benchmark(Description = "IncrementAsync with TTL-on-create")]
    [BenchmarkCategory(Latency + "increment")]
    public ValueTask<long> KvIncrement() => _store.IncrementAsync(Counter, 1, WithTtl);

    [Benchmark(Baseline = true, Description = "raw SET NX PX (taken)")]
    [BenchmarkCategory(Latency + "set if not exists")]
    public Task<bool> RawSetNx() => _database.StringSetAsync(_physicalKey, _payload, Ttl, When.NotExists);

    [Benchmark(Description = "SetIfNotExistsAsync with TTL (taken)")]
    [BenchmarkCategory(Latency + "set if not exists")]
    public ValueTask<bool> KvSetNx() => _store.SetIfNotExistsAsync(Key, Value, WithTtl);

    // ---- throughput, 64 in flight ----

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw GET")]
    [BenchmarkCategory(Throughput + "get")]
    public Task RawGetThroughput() => RunCallers(this, static b => b.RawGet());

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "GetAsync<string>")]
    [BenchmarkCategory(Throughput + "get")]
    public Task KvGetThroughput() => RunCallers(this, static b => b.KvGet());

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw SET")]
    [BenchmarkCategory(Throughput + "set")]
    public Task RawSetThroughput() => RunCallers(this, static b => b.RawSet());

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "SetAsync<string>")]
    [BenchmarkCategory(Throughput + "set")]
    public Task KvSetThroughput() => RunCallers(this, static b => b.KvSet());

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw SET PX")]
    [BenchmarkCategory(Throughput + "set with TTL")]
    public Task RawSetTtlThroughput() => RunCallers(this, static b => b.RawSetTtl());

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "SetAsync<string> with TTL")]
    [BenchmarkCategory(Throughput + "set with TTL")]
    public Task KvSetTtlThroughput() => RunCallers(this, static b => b.KvSetTtl());

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw EXISTS")]
    [BenchmarkCategory(Throughput + "exists")]
    public Task RawExistsThroughput() => RunCallers(this, static b => b.RawExists());

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "ExistsAsync")]
    [BenchmarkCategory(Throughput + "exists")]
    public Task KvExistsThroughput() => RunCallers(this, static b => b.KvExists());

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw DEL (missing key)")]
    [BenchmarkCategory(Throughput + "delete")]
    public Task RawDeleteThroughput() => RunCallers(this, static b => b.RawDelete());

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "DeleteAsync (missing key)")]
    [BenchmarkCategory(Throughput + "delete")]
    public Task KvDeleteThroughput() => RunCallers(this, static b => b.KvDelete());

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw INCRBY")]
    [BenchmarkCategory(Throughput + "increment")]
    public Task RawIncrementThroughput() => RunCallers(this, static b => b.RawIncrement());

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "IncrementAsync with TTL-on-create")]
    [BenchmarkCategory(Throughput + "increment")]
    public Task KvIncrementThroughput() => RunCallers(this, static b => b.KvIncrement());

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw SET NX PX (taken)")]
    [BenchmarkCategory(Throughput + "set if not exists")]
    public Task RawSetNxThroughput() => RunCallers(this, static b => b.RawSetNx());

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "SetIfNotExistsAsync with TTL (taken)")]
    [BenchmarkCategory(Throughput + "set if not exists")]
    public Task KvSetNxThroughput() => RunCallers(this, static b => b.KvSetNx());

    // ---- batches ----

    [Benchmark(Baseline = true, Description = "raw MGET of 100")]
    [BenchmarkCategory(Batch + "get")]
    public Task<RedisValue[]> RawMget() => _database.StringGetAsync(_physicalBatchKeys);

    [Benchmark(Description = "GetManyAsync<string> of 100")]
    [BenchmarkCategory(Batch + "get")]
    public ValueTask<IReadOnlyDictionary<string, string?>> KvGetMany() => _store.GetManyAsync<string>(_batchKeys);

    [Benchmark(Baseline = true, Description = "raw MSET of 100")]
    [BenchmarkCategory(Batch + "set")]
    public Task<bool> RawMset() => _database.StringSetAsync(_physicalBatchItems);

    [Benchmark(Description = "SetManyAsync<string> of 100")]
    [BenchmarkCategory(Batch + "set")]
    public ValueTask KvSetMany() => _store.SetManyAsync(_batchItems);

    /// <summary>The endpoint of the benchmark server, from <see cref="EndpointVariable"/>.</summary>
    internal static string Endpoint() =>
        Environment.GetEnvironmentVariable(EndpointVariable)
        ?? throw new InvalidOperationException(
            $"The Redis benchmarks need a redis-server: run them with ./bench.sh, which starts one, or set {EndpointVariable}=host:port.");

    /// <summary>64 callers, each sending its commands one after another: 64 commands in flight at any time.</summary>
    internal static Task RunCallers<TState>(TState state, Func<TState, Task> command, int callers = Callers, int commandsPerCaller = CommandsPerCaller)
    {
        var tasks = new Task[callers];
        for (int i = 0; i < callers; i++)
        {
            tasks[i] = Caller(state, command, commandsPerCaller);
        }

        return Task.WhenAll(tasks);

        static async Task Caller(TState state, Func<TState, Task> command, int count)
        {
            for (int i = 0; i < count; i++)
            {
                await command(state);
            }
        }
    }

    /// <summary><see cref="RunCallers{TState}(TState, Func{TState, Task}, int, int)"/> for a Kv call's <see cref="ValueTask"/>.</summary>
    internal static Task RunCallers<TState>(TState state, Func<TState, ValueTask> command, int callers = Callers, int commandsPerCaller = CommandsPerCaller)
    {
        var tasks = new Task[callers];
        for (int i = 0; i < callers; i++)
        {
            tasks[i] = Caller(state, command, commandsPerCaller);
        }

        return Task.WhenAll(tasks);

        static async Task Caller(TState state, Func<TState, ValueTask> command, int count)
        {
            for (int i = 0; i < count; i++)
            {
                await command(state);
            }
        }
    }

    /// <summary><see cref="RunCallers{TState}(TState, Func{TState, Task}, int, int)"/> for a Kv call's <see cref="ValueTask{TResult}"/>.</summary>
    internal static Task RunCallers<TState, TResult>(TState state, Func<TState, ValueTask<TResult>> command, int callers = Callers, int commandsPerCaller = CommandsPerCaller)
    {
        var tasks = new Task[callers];
        for (int i = 0; i < callers; i++)
        {
            tasks[i] = Caller(state, command, commandsPerCaller);
        }

        return Task.WhenAll(tasks);

        static async Task Caller(TState state, Func<TState, ValueTask<TResult>> command, int count)
        {
            for (int i = 0; i < count; i++)
            {
                await command(state);
            }
        }
    }

    /// <summary>The network job: see <see cref="KvBenchmarkConfig.NetworkJob"/>.</summary>
    private sealed class Config : KvBenchmarkConfig
    {
        public Config()
            : base(NetworkJob)
        {
        }
    }

    // The Redis key RedisKv uses for a key of the top-level namespace: the name as a hash tag (see docs/redis.md), so
    // the raw baselines read and write the very keys Kv does.
    private static string Physical(string key) => "{" + Namespace + "}" + KvKeyLayout.KeySeparator + key;
}
