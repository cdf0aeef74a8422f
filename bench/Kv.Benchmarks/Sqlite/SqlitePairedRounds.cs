using System.Diagnostics;
using System.Globalization;

namespace Kv.Benchmarks.Sqlite;

/// <summary>
/// The SQLite targets measured in paired rounds: the console mode <c>--sqlite-paired</c>
/// (<c>./bench.sh --sqlite-paired</c>). A cross-check of the BenchmarkDotNet classes for a shared, noisy machine.
/// </summary>
/// <remarks>
/// BenchmarkDotNet measures all iterations of one benchmark, then all of the next, so a burst of other work (a build,
/// another process syncing the disk) can land on the baseline or on Kv alone and move the ratio several-fold. Here
/// every round times the baseline and Kv back to back, on the very benchmark methods of
/// <see cref="SqliteWriteBenchmarks"/> and <see cref="SqliteGetBenchmarks"/> (alternating which goes first), and
/// reports the median of the rounds' ratios with their range: each ratio compares two measurements made moments apart.
/// </remarks>
public static class SqlitePairedRounds
{
    private const int Rounds = 21;
    private const int Repeat = 4;
    private const int Reads = 4000;

    /// <summary>Runs the rounds and prints a Markdown table.</summary>
    /// <param name="output">Where the table goes.</param>
    public static async Task RunAsync(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var write = new SqliteWriteBenchmarks();
        write.Setup();
        var set = new List<double>();
        var set64 = new List<double>();
        var increment = new List<double>();
        var increment64 = new List<double>();
        try
        {
            for (int round = -1; round < Rounds; round++)
            {
                bool kvFirst = round % 2 == 0;
                (double raw, double kv) = await PairAsync(write.RawSetPerTransaction, write.KvSet, kvFirst).ConfigureAwait(false);
                double raw64 = await TimeAsync(() => { write.RawSet64PerTransaction(); return Task.CompletedTask; }).ConfigureAwait(false);
                (double rawIncrement, double kvIncrement) = await PairAsync(write.RawIncrementPerTransaction, write.KvIncrement, kvFirst).ConfigureAwait(false);
                double rawIncrement64 = await TimeAsync(() => { write.RawIncrement64PerTransaction(); return Task.CompletedTask; }).ConfigureAwait(false);
                if (round >= 0)
                {
                    set.Add(raw / kv);
                    set64.Add(raw / raw64);
                    increment.Add(rawIncrement / kvIncrement);
                    increment64.Add(rawIncrement / rawIncrement64);
                }
            }
        }
        finally
        {
            write.Cleanup();
        }

        var get = new SqliteGetBenchmarks();
        get.Setup();
        var reads = new List<double>();
        try
        {
            for (int round = -1; round < Rounds; round++)
            {
                (double raw, double kv) = await PairAsync(
                    () =>
                    {
                        for (int i = 0; i < Reads; i++)
                        {
                            get.RawGet();
                        }

                        return Task.CompletedTask;
                    },
                    async () =>
                    {
                        for (int i = 0; i < Reads; i++)
                        {
                            await get.KvGet().ConfigureAwait(false);
                        }
                    },
                    round % 2 == 0).ConfigureAwait(false);
                if (round >= 0)
                {
                    reads.Add(kv / raw);
                }
            }
        }
        finally
        {
            get.Cleanup();
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"SQLite targets in {Rounds} paired rounds (baseline and Kv back to back, 4 calls each; median, and the range over the rounds)")).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("| Measure | Median | Range |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---:|---:|").ConfigureAwait(false);
        await RowAsync(output, "Durable SetAsync, 64 writers: throughput vs raw 1 transaction per write (target >= 15)", set).ConfigureAwait(false);
        await RowAsync(output, "  reference: raw 64 upserts per transaction vs raw 1 per write", set64).ConfigureAwait(false);
        await RowAsync(output, "Durable IncrementAsync, 64 writers: throughput vs raw read + upsert, 1 transaction each (target >= 15)", increment).ConfigureAwait(false);
        await RowAsync(output, "  reference: raw 64 increments per transaction vs raw 1 per transaction", increment64).ConfigureAwait(false);
        await RowAsync(output, "GetAsync<string> time vs raw prepared SELECT (target <= 1.5)", reads).ConfigureAwait(false);
    }

    private static async Task<(double Raw, double Kv)> PairAsync(Func<Task> raw, Func<Task> kv, bool kvFirst)
    {
        if (kvFirst)
        {
            double k = await TimeAsync(kv).ConfigureAwait(false);
            return (await TimeAsync(raw).ConfigureAwait(false), k);
        }

        double r = await TimeAsync(raw).ConfigureAwait(false);
        return (r, await TimeAsync(kv).ConfigureAwait(false));
    }

    // Each measurement runs the method Repeat times, so that one short disturbance moves it less.
    private static async Task<double> TimeAsync(Func<Task> run)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Repeat; i++)
        {
            await run().ConfigureAwait(false);
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static Task RowAsync(TextWriter output, string name, List<double> ratios)
    {
        double[] sorted = [.. ratios.Order()];
        return output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {sorted[sorted.Length / 2]:F2} | {sorted[0]:F2}–{sorted[^1]:F2} |"));
    }
}
