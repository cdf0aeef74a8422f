using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Medallion.Threading.Redis;
using StackExchange.Redis;

namespace Kv.Benchmarks.Redis;

/// <summary>
/// Lock contention, the case of issue 13: 100 callers take and release ONE lock name 200 times each, waiting while
/// another holds it, with <see cref="KvDistributedLockProvider.AcquireAsync"/> against DistributedLock.Redis's
/// <see cref="RedisDistributedLock.AcquireAsync"/> as the baseline, on one redis-server and one multiplexer, in the
/// same run. Both wait with their default polling (Kv: 10 ms doubling to 500 ms with jitter; DistributedLock.Redis:
/// a random 10–800 ms).
/// </summary>
/// <remarks>
/// <para>Mutual exclusion is checked while it runs: inside the critical section each holder counts itself in an
/// in-process counter, yields, and counts itself out; finding another holder there is a double grant. The
/// <c>Double grants</c> column reports them over every grant of the run (warm-up included); it must read 0 on both
/// rows.</para>
/// <para>One invocation is 20,000 grants, seconds long, so this class has its own job: one invocation per iteration,
/// one warm-up and five measured iterations (the <see cref="RedisPeerBenchmarks"/> job would take minutes per row).
/// The time reported is per grant (acquire, critical section, release).</para>
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class RedisPeerLockContentionBenchmarks
{
    private const string Contention = "Lock contention, 100 callers × 200 rounds on one name";
    private const int Callers = 100;
    private const int Rounds = 200;
    private const int Grants = Callers * Rounds;

    // Per benchmark method, for the whole run; read by DoubleGrantsColumn when the summary is printed (the in-process
    // toolchain runs the benchmarks in the host process).
    private static readonly ConcurrentDictionary<string, MutualExclusionCheck> Checks = new();

    private ConnectionMultiplexer _multiplexer = null!;
    private RedisKv _kv = null!;
    private KvDistributedLockProvider _kvLocks = null!;
    private RedisDistributedLock _peerLock = null!;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(RedisBenchmarks.Endpoint());
        _kv = new RedisKv(new RedisKvOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_multiplexer) });
        _kvLocks = new KvDistributedLockProvider(_kv.Namespace("peer-contention"));
        _peerLock = new RedisDistributedLock("peer-contention-distributedlock", _multiplexer.GetDatabase());
    }

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalCleanup.
    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        await _kv.DisposeAsync();
        await _multiplexer.CloseAsync();
        _multiplexer.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Grants, Description = "RedisDistributedLock")]
    [BenchmarkCategory(Contention)]
    public Task PeerContention() =>
        ContendAsync(Check(nameof(PeerContention)), this, static async b => await b._peerLock.AcquireAsync());

    [Benchmark(OperationsPerInvoke = Grants, Description = "KvDistributedLockProvider")]
    [BenchmarkCategory(Contention)]
    public Task KvContention() =>
        ContendAsync(Check(nameof(KvContention)), this, static async b => await b._kvLocks.AcquireAsync("lock"));

    private static MutualExclusionCheck Check(string benchmark) => Checks.GetOrAdd(benchmark, static _ => new MutualExclusionCheck());

    private static Task ContendAsync<TState>(MutualExclusionCheck check, TState state, Func<TState, Task<IAsyncDisposable>> acquire)
    {
        var callers = new Task[Callers];
        for (int i = 0; i < Callers; i++)
        {
            callers[i] = Caller(check, state, acquire);
        }

        return Task.WhenAll(callers);

        static async Task Caller(MutualExclusionCheck check, TState state, Func<TState, Task<IAsyncDisposable>> acquire)
        {
            // Every caller starts on the thread pool, so the callers really run side by side.
            await Task.Yield();
            for (int round = 0; round < Rounds; round++)
            {
                await using IAsyncDisposable handle = await acquire(state);
                check.Enter();
                await Task.Yield(); // Give a second holder, if the lock admitted one, the time to show up.
                check.Exit();
            }
        }
    }

    /// <summary>Counts the holders inside the critical section; a second one there at once is a double grant.</summary>
    private sealed class MutualExclusionCheck
    {
        private int _holders;
        private long _grants;
        private long _doubleGrants;

        public long Grants => Interlocked.Read(ref _grants);

        public long DoubleGrants => Interlocked.Read(ref _doubleGrants);

        public void Enter()
        {
            Interlocked.Increment(ref _grants);
            if (Interlocked.Increment(ref _holders) != 1)
            {
                Interlocked.Increment(ref _doubleGrants);
            }
        }

        public void Exit() => Interlocked.Decrement(ref _holders);
    }

    /// <summary>The double grants a row's benchmark saw, over every grant it made in the run.</summary>
    private sealed class DoubleGrantsColumn : IColumn
    {
        public string Id => nameof(DoubleGrantsColumn);

        public string ColumnName => "Double grants";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => false;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Times a second holder was inside the critical section, of all grants in the run (must be 0)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            Checks.TryGetValue(benchmarkCase.Descriptor.WorkloadMethod.Name, out MutualExclusionCheck? check)
                ? string.Create(CultureInfo.InvariantCulture, $"{check.DoubleGrants} of {check.Grants:N0}")
                : "-";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }

    /// <summary>One invocation per iteration (each is 20,000 grants), one warm-up and five measured iterations.</summary>
    private sealed class Config : KvBenchmarkConfig
    {
        public Config()
            : base(Job.Default
                .WithId(JobId + "-Contention")
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(5)
                .WithInvocationCount(1)
                .WithUnrollFactor(1))
        {
            AddColumn(new DoubleGrantsColumn());
        }
    }
}
