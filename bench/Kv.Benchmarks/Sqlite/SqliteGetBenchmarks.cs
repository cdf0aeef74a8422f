using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;

namespace Kv.Benchmarks.Sqlite;

/// <summary>
/// A point read through <see cref="SqliteKv"/> against a raw prepared <c>SELECT</c> of the same row of the same file
/// through Microsoft.Data.Sqlite, on a connection opened once and a command prepared once (only the key parameter
/// changes). The file holds 100,000 entries, so the lookup walks a real B-tree.
/// </summary>
/// <remarks>
/// The raw baseline returns the value's bytes; Kv's row also decodes them into the string the caller asked for (a
/// 35-byte JSON string, a small part of the cost). One caller, one read at a time. The job is the write benchmarks'
/// longer one (<see cref="KvBenchmarkConfig.DiskJob"/>): microsecond reads on a shared machine need the iterations.
/// </remarks>
[Config(typeof(SqliteWriteBenchmarks.Config))]
[MemoryDiagnoser]
public class SqliteGetBenchmarks
{
    private const int Entries = 100_000;
    private const string Key = "user:0012345";
    private const string TtlKey = "session:1";
    private const string Value = "a value of about thirty-two chars";

    private SqliteBenchFiles _files = null!;
    private SqliteKv _kv = null!;
    private IAtomicKvStore _store = null!;
    private SqliteConnection _raw = null!;
    private SqliteCommand _select = null!;

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous GlobalSetup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _files = new SqliteBenchFiles("get");
        string path = _files.File("kv.db");
        _kv = new SqliteKv(new SqliteKvOptions { Path = path });
        _store = _kv.Namespace(SqliteBenchFiles.Namespace);
        for (int start = 0; start < Entries; start += 1000)
        {
            await _store.SetManyAsync(Enumerable.Range(start, 1000)
                .Select(i => KeyValuePair.Create("user:" + i.ToString("D7", CultureInfo.InvariantCulture), Value)));
        }

        await _store.SetAsync(TtlKey, Value, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));

        _raw = SqliteBenchFiles.OpenRaw(path);
        _select = _raw.CreateCommand();
        _select.CommandText = "SELECT value FROM kv WHERE ns = $ns AND key = $key";
        _select.Parameters.AddWithValue("$ns", SqliteBenchFiles.Namespace);
        _select.Parameters.AddWithValue("$key", Key);
        _select.Prepare();
        if (await _store.GetAsync<string>(Key) != Value || RawGet() is null)
        {
            throw new InvalidOperationException("The benchmark's row is missing.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _select.Dispose();
        _raw.Dispose();
        _kv.Dispose();
        _files.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw prepared SELECT value (reused connection)")]
    public byte[]? RawGet()
    {
        _select.Parameters["$key"].Value = Key;
        return _select.ExecuteScalar() as byte[];
    }

    [Benchmark(Description = "SqliteKv.GetAsync<string>")]
    public async Task<string?> KvGet() => await _store.GetAsync<string>(Key);

    [Benchmark(Description = "SqliteKv.GetAsync<string>, entry with a TTL")]
    public async Task<string?> KvGetWithTtl() => await _store.GetAsync<string>(TtlKey);

    [Benchmark(Description = "SqliteKv.GetAsync<string>, missing key")]
    public async Task<string?> KvGetMissing() => await _store.GetAsync<string>("user:none");
}
