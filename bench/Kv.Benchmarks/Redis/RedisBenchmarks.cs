using BenchmarkDotNet.Attributes;
using StackExchange.Redis;

namespace Kv.Benchmarks.Redis;

/// <summary>
/// <see cref="RedisKv"/> against raw StackExchange.Redis sending the same command on the same multiplexer (Kv
/// is given the benchmark's own multiplexer through <see cref="RedisKvOptions.ConnectionMultiplexerFactory"/>),
/// against the redis-server that bench.sh starts on a loopback port and names in <c>KV_BENCH_REDIS</c>.
/// </summary>
/// <remarks>
/// <para>Latency: one caller, one command at a time. Throughput: 64 callers, each awaiting its commands one after
/// another, so 64 are always in flight; the time reported is per command.</para>
/// <para>Batches: "get 100 keys" is Kv's <c>GetManyAsync</c> (one MGET) and 100 concurrent <c>GetAsync</c> calls
/// (pipelined by the multiplexer), against one raw MGET of the same 100 keys, and against 100 concurrent raw GETs.</para>
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class RedisBenchmarks
{
    /// <summary>The environment variable with the server's endpoint, e.g. <c>127.0.0.1:6390</c>.</summary>
    public const string EndpointVariable = "KV_BENCH_REDIS";

    private const string Latency = "Latency, 1 in flight";
    private const string Throughput = "Throughput, 64 in flight";
    private const string Batch = "Get 100 keys";

    private const int Callers = 64;
    private const int CommandsPerCaller = 16;
    private const int ThroughputCommands = Callers * CommandsPerCaller;
    private const int BatchSize = 100;

    private const string Namespace = "bench";
    private const string Key = "user:12345";
    private const string Value = "a value of about thirty-two chars";

    private ConnectionMultiplexer _multiplexer = null!;
    private IDatabase _database = null!;
    private RedisKv _kv = null!;
    private IAtomicKvStore _store = null!;
    private RedisKey _physicalKey;
    private RedisKey _physicalCounter;
    private byte[] _payload = null!;
    private string[] _batchKeys = null!;
    private RedisKey[] _physicalBatchKeys = null!;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        string endpoint = Environment.GetEnvironmentVariable(EndpointVariable)
            ?? throw new InvalidOperationException(
                $"The Redis benchmarks need a redis-server: run them with ./bench.sh, which starts one, or set {EndpointVariable}=host:port.");

        _multiplexer = await ConnectionMultiplexer.ConnectAsync(endpoint);
        _database = _multiplexer.GetDatabase();
        _kv = new RedisKv(new RedisKvOptions
        {
            Configuration = endpoint,
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_multiplexer),
        });
        _store = _kv.Namespace(Namespace);

        // The same physical keys and bytes on both sides (KvKeyLayout: namespace, "::", key).
        _physicalKey = Physical(Key);
        _physicalCounter = Physical("counter");
        _payload = KvValueSerializer.Default.Serialize(Value).Payload!;
        await _store.SetAsync(Key, Value);
        await _store.IncrementAsync("counter");

        _batchKeys = Enumerable.Range(0, BatchSize).Select(i => "item:" + i).ToArray();
        _physicalBatchKeys = _batchKeys.Select(k => (RedisKey)Physical(k)).ToArray();
        foreach (string key in _batchKeys)
        {
            await _store.SetAsync(key, Value);
        }
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

    // ---- latency ----

    [Benchmark(Baseline = true, Description = "raw GET")]
    [BenchmarkCategory(Latency + ": get")]
    public async Task<string?> RawGet() => await _database.StringGetAsync(_physicalKey);

    [Benchmark(Description = "RedisKv.GetAsync<string>")]
    [BenchmarkCategory(Latency + ": get")]
    public async Task<string?> KvGet() => await _store.GetAsync<string>(Key);

    [Benchmark(Baseline = true, Description = "raw SET")]
    [BenchmarkCategory(Latency + ": set")]
    public Task<bool> RawSet() => _database.StringSetAsync(_physicalKey, _payload);

    [Benchmark(Description = "RedisKv.SetAsync<string>")]
    [BenchmarkCategory(Latency + ": set")]
    public async Task KvSet() => await _store.SetAsync(Key, Value);

    [Benchmark(Baseline = true, Description = "raw INCR")]
    [BenchmarkCategory(Latency + ": increment")]
    public Task<long> RawIncrement() => _database.StringIncrementAsync(_physicalCounter);

    [Benchmark(Description = "RedisKv.IncrementAsync (Lua script)")]
    [BenchmarkCategory(Latency + ": increment")]
    public async Task<long> KvIncrement() => await _store.IncrementAsync("counter");

    // ---- throughput ----

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw GET")]
    [BenchmarkCategory(Throughput + ": get")]
    public Task RawGetThroughput() => RunCallers(async () => await _database.StringGetAsync(_physicalKey));

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "RedisKv.GetAsync<string>")]
    [BenchmarkCategory(Throughput + ": get")]
    public Task KvGetThroughput() => RunCallers(async () => await _store.GetAsync<string>(Key));

    // Diagnostic: raw GET under the same per-operation timeout RedisKv puts on every command
    // (Task.WaitAsync with its OperationTimeout on its TimeProvider).
    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "raw GET + Task.WaitAsync(timeout)")]
    [BenchmarkCategory(Throughput + ": get")]
    public Task RawGetWithTimeoutThroughput() => RunCallers(async () =>
        await _database.StringGetAsync(_physicalKey).WaitAsync(_kv.OperationTimeout, TimeProvider.System));

    // Diagnostic: raw GET behind two more async layers, as many as RedisKv's call path has.
    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "raw GET + 2 async layers")]
    [BenchmarkCategory(Throughput + ": get")]
    public Task RawGetLayeredThroughput() => RunCallers(async () => await Layer(Layer(_database.StringGetAsync(_physicalKey))));

    [Benchmark(Baseline = true, OperationsPerInvoke = ThroughputCommands, Description = "raw SET")]
    [BenchmarkCategory(Throughput + ": set")]
    public Task RawSetThroughput() => RunCallers(() => _database.StringSetAsync(_physicalKey, _payload));

    [Benchmark(OperationsPerInvoke = ThroughputCommands, Description = "RedisKv.SetAsync<string>")]
    [BenchmarkCategory(Throughput + ": set")]
    public Task KvSetThroughput() => RunCallers(async () => await _store.SetAsync(Key, Value));

    // ---- batch ----

    [Benchmark(Baseline = true, Description = "raw MGET of 100")]
    [BenchmarkCategory(Batch)]
    public Task<RedisValue[]> RawMget() => _database.StringGetAsync(_physicalBatchKeys);

    [Benchmark(Description = "raw GET x 100, concurrent")]
    [BenchmarkCategory(Batch)]
    public Task<RedisValue[]> RawGets() => Task.WhenAll(_physicalBatchKeys.Select(k => _database.StringGetAsync(k)));

    [Benchmark(Description = "RedisKv.GetAsync<string> x 100, concurrent")]
    [BenchmarkCategory(Batch)]
    public Task<string?[]> KvGets() => Task.WhenAll(_batchKeys.Select(k => _store.GetAsync<string>(k).AsTask()));

    [Benchmark(Description = "RedisKv.GetManyAsync<string> of 100")]
    [BenchmarkCategory(Batch)]
    public Task<IReadOnlyDictionary<string, string?>> KvGetMany() => _store.GetManyAsync<string>(_batchKeys).AsTask();

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

    private static async Task<RedisValue> Layer(Task<RedisValue> inner) => await inner;

    // 64 callers, each sending its commands one after another: 64 commands in flight at any time.
    private static Task RunCallers(Func<Task> command)
    {
        var callers = new Task[Callers];
        for (int i = 0; i < Callers; i++)
        {
            callers[i] = Caller(command);
        }

        return Task.WhenAll(callers);

        static async Task Caller(Func<Task> command)
        {
            for (int i = 0; i < CommandsPerCaller; i++)
            {
                await command();
            }
        }
    }
}
