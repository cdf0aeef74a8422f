using System.Buffers.Text;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;

namespace Kv.Benchmarks.Sqlite;

/// <summary>
/// Group commit: durable writes from 64 concurrent writers through <see cref="SqliteKv"/> (<see cref="SqliteDurability.Full"/>:
/// WAL, <c>synchronous=FULL</c>) against raw Microsoft.Data.Sqlite committing one transaction per write to the same
/// table shape (a file whose schema Kv created), WAL, <c>synchronous=FULL</c>.
/// </summary>
/// <remarks>
/// <para>Every invocation makes <see cref="Writes"/> writes: 64 callers, each awaiting <see cref="WritesPerCaller"/>
/// writes one after another, so 64 are always waiting. The time reported is per write, so the ratio compares
/// throughput directly (lower is better; 1 / ratio is the speed-up).</para>
/// <para>The raw baselines share one connection, since SQLite admits one writer at a time anyway: 64 callers take turns
/// (a <see cref="SemaphoreSlim"/>), each write its own <c>BEGIN IMMEDIATE</c> … <c>COMMIT</c>, prepared statements.
/// That is the best one-transaction-per-write can do (64 connections contending for the lock would only add SQLite's
/// busy back-off). The reference row commits 64 upserts per transaction from one loop: the ceiling of batching.</para>
/// <para>Each caller writes its own key (<c>user:0</c> … <c>user:63</c>, <c>counter:0</c> … <c>counter:63</c>), on both sides.</para>
/// </remarks>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class SqliteWriteBenchmarks
{
    private const int Callers = 64;
    private const int WritesPerCaller = 8;
    private const int Writes = Callers * WritesPerCaller;

    private const string Set = "Durable set, 64 writers";
    private const string Increment = "Durable increment, 64 writers";

    private const string Value = "a value of about thirty-two chars";

    private const string UpsertSql =
        """
        INSERT INTO kv (ns, key, value, expires_at, version, meta) VALUES ($ns, $key, $value, NULL, $version, NULL)
        ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, version = excluded.version, meta = excluded.meta
        """;

    private readonly SemaphoreSlim _rawGate = new(1, 1);
    private SqliteBenchFiles _files = null!;
    private SqliteKv _kv = null!;
    private IAtomicKvStore _store = null!;
    private SqliteConnection _raw = null!;
    private SqliteCommand _begin = null!;
    private SqliteCommand _commit = null!;
    private SqliteCommand _upsert = null!;
    private SqliteCommand _read = null!;
    private string[] _setKeys = null!;
    private string[] _counterKeys = null!;
    private byte[] _payload = null!;
    private long _rawVersion;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _files = new SqliteBenchFiles("write");
        _kv = new SqliteKv(new SqliteKvOptions { Path = _files.File("kv.db"), Durability = SqliteDurability.Full });
        _store = _kv.Namespace(SqliteBenchFiles.Namespace);

        string rawPath = _files.File("raw.db");
        await SqliteBenchFiles.CreateKvSchemaAsync(rawPath);
        _raw = SqliteBenchFiles.OpenRaw(rawPath, "FULL");
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _upsert = Prepare(UpsertSql, "$ns", "$key", "$value", "$version");
        _upsert.Parameters["$ns"].Value = SqliteBenchFiles.Namespace;
        _read = Prepare("SELECT value FROM kv WHERE ns = $ns AND key = $key", "$ns", "$key");
        _read.Parameters["$ns"].Value = SqliteBenchFiles.Namespace;

        _setKeys = Enumerable.Range(0, Callers).Select(i => "user:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        _counterKeys = Enumerable.Range(0, Callers).Select(i => "counter:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        _payload = KvValueSerializer.Default.Serialize(Value).Payload!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _kv.Dispose();
        _begin.Dispose();
        _commit.Dispose();
        _upsert.Dispose();
        _read.Dispose();
        _raw.Dispose();
        _rawGate.Dispose();
        _files.Dispose();
    }

    // ---- set ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Writes, Description = "raw upsert, 1 transaction per write")]
    [BenchmarkCategory(Set)]
    public Task RawSetPerTransaction() => RunCallers(caller => RawTurnAsync(() => RawUpsert(_setKeys[caller], _payload)));

    [Benchmark(OperationsPerInvoke = Writes, Description = "raw upsert, 64 writes per transaction (reference)")]
    [BenchmarkCategory(Set)]
    public void RawSet64PerTransaction()
    {
        for (int done = 0; done < Writes; done += Callers)
        {
            _begin.ExecuteNonQuery();
            for (int caller = 0; caller < Callers; caller++)
            {
                RawUpsert(_setKeys[caller], _payload);
            }

            _commit.ExecuteNonQuery();
        }
    }

    [Benchmark(OperationsPerInvoke = Writes, Description = "SqliteKv.SetAsync<string>, Durability=Full")]
    [BenchmarkCategory(Set)]
    public Task KvSet() => RunCallers(caller => _store.SetAsync(_setKeys[caller], Value).AsTask());

    // ---- increment ----

    [Benchmark(Baseline = true, OperationsPerInvoke = Writes, Description = "raw read + upsert, 1 transaction per increment")]
    [BenchmarkCategory(Increment)]
    public Task RawIncrementPerTransaction() => RunCallers(caller => RawTurnAsync(() => RawIncrement(_counterKeys[caller])));

    [Benchmark(OperationsPerInvoke = Writes, Description = "raw read + upsert, 64 increments per transaction (reference)")]
    [BenchmarkCategory(Increment)]
    public void RawIncrement64PerTransaction()
    {
        for (int done = 0; done < Writes; done += Callers)
        {
            _begin.ExecuteNonQuery();
            for (int caller = 0; caller < Callers; caller++)
            {
                RawIncrement(_counterKeys[caller]);
            }

            _commit.ExecuteNonQuery();
        }
    }

    [Benchmark(OperationsPerInvoke = Writes, Description = "SqliteKv.IncrementAsync, Durability=Full")]
    [BenchmarkCategory(Increment)]
    public Task KvIncrement() => RunCallers(caller => _store.IncrementAsync(_counterKeys[caller]).AsTask());

    private void RawUpsert(string key, byte[] payload)
    {
        _upsert.Parameters["$key"].Value = key;
        _upsert.Parameters["$value"].Value = payload;
        _upsert.Parameters["$version"].Value = ++_rawVersion;
        _upsert.ExecuteNonQuery();
    }

    // What an increment is without Kv: read the counter's bytes, parse, write the sum back, in the caller's transaction.
    private void RawIncrement(string key)
    {
        _read.Parameters["$key"].Value = key;
        long value = 0;
        if (_read.ExecuteScalar() is byte[] current && !Utf8Parser.TryParse(current, out value, out _))
        {
            throw new InvalidOperationException("The raw counter is not a number.");
        }

        RawUpsert(key, System.Text.Encoding.UTF8.GetBytes((value + 1).ToString(CultureInfo.InvariantCulture)));
    }

    // One write in its own transaction, one caller at a time on the shared connection.
    private async Task RawTurnAsync(Action write)
    {
        await _rawGate.WaitAsync();
        try
        {
            _begin.ExecuteNonQuery();
            write();
            _commit.ExecuteNonQuery();
        }
        finally
        {
            _rawGate.Release();
        }
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        SqliteCommand command = _raw.CreateCommand();
        command.CommandText = sql;
        foreach (string name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        command.Prepare();
        return command;
    }

    // 64 callers, each awaiting its writes one after another: 64 writes waiting at any time.
    private static Task RunCallers(Func<int, Task> write)
    {
        var callers = new Task[Callers];
        for (int i = 0; i < Callers; i++)
        {
            callers[i] = Caller(write, i);
        }

        return Task.WhenAll(callers);

        static async Task Caller(Func<int, Task> write, int caller)
        {
            // Start on the thread pool, as 64 independent requests would.
            await Task.Yield();
            for (int i = 0; i < WritesPerCaller; i++)
            {
                await write(caller);
            }
        }
    }

    /// <summary>The disk job: see <see cref="KvBenchmarkConfig.DiskJob"/>.</summary>
    internal sealed class Config : KvBenchmarkConfig
    {
        public Config()
            : base(DiskJob)
        {
        }
    }
}
