using BenchmarkDotNet.Running;
using Kv.Benchmarks.Memory;
using Kv.Benchmarks.Redis;
using Kv.Benchmarks.Sqlite;

// Usage (bench.sh does this):
//   dotnet run -c Release --project bench/Kv.Benchmarks -- --overhead            per-entry memory overhead table
//   dotnet run -c Release --project bench/Kv.Benchmarks -- --sqlite-overhead     per-entry SQLite file overhead table
//   dotnet run -c Release --project bench/Kv.Benchmarks -- --sqlite-paired       SQLite targets in paired rounds
//   dotnet run -c Release --project bench/Kv.Benchmarks -- --commandstats       commands Redis executes per Kv operation
//                                                                                  (KV_BENCH_REDIS=host:port)
//   dotnet run -c Release --project bench/Kv.Benchmarks -- --filter '*Get*'      BenchmarkDotNet, any of its options
if (args is ["--overhead"])
{
    await EntryOverhead.RunAsync(Console.Out);
    return 0;
}

if (args is ["--sqlite-overhead"])
{
    await SqliteStorageOverhead.RunAsync(Console.Out);
    return 0;
}

if (args is ["--sqlite-paired"])
{
    await SqlitePairedRounds.RunAsync(Console.Out);
    return 0;
}

if (args is ["--commandstats"])
{
    await RedisCommandStats.RunAsync(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
