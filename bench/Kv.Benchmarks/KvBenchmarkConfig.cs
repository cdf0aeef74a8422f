using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Kv.Benchmarks;

/// <summary>
/// The one configuration every benchmark runs with (bench.sh passes nothing else).
/// </summary>
/// <remarks>
/// <para>The job is short on purpose: the whole suite must finish well within 30 minutes on a 2-core machine.
/// One process launch, 3 warm-up and 8 measured iterations of about 250 ms each. That is enough for ratios
/// against a baseline measured in the same process moments apart, which is all the suite reports; absolute
/// times on a shared machine are noise anyway.</para>
/// <para>Benchmarks run in process (<see cref="InProcessEmitToolchain"/>): BenchmarkDotNet does not generate and
/// build a project per job, which saves minutes on 2 cores and never rebuilds the library projects of a tree
/// that someone else may be building. The host is the Release build bench.sh starts.</para>
/// <para>Each class puts its baselines in the same class (one per category), so every row of a summary
/// carries a Ratio against the floor it sits on.</para>
/// </remarks>
public class KvBenchmarkConfig : ManualConfig
{
    /// <summary>The id the job carries in every summary table.</summary>
    public const string JobId = "KvShort";

    /// <summary>The configuration with <see cref="QuickJob"/>.</summary>
    public KvBenchmarkConfig()
        : this(QuickJob)
    {
    }

    /// <summary>The configuration with another job, for benchmarks that need their own iteration shape.</summary>
    /// <param name="job">The job.</param>
    protected KvBenchmarkConfig(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        AddJob(job.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(CategoriesColumn.Default);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams);
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared));
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
    }

    /// <summary>The job of the benchmarks that talk to redis-server: a round trip shares the 2 cores with the server,
    /// so they take more and longer iterations to steady the ratios.</summary>
    public static Job NetworkJob { get; } = LongJob(JobId + "-Network");

    /// <summary>The job of the SQLite write benchmarks: every durable commit waits for an fsync, whose time on a shared
    /// disk varies more than CPU work, so they take more and longer iterations, like <see cref="NetworkJob"/>.</summary>
    public static Job DiskJob { get; } = LongJob(JobId + "-Disk");

    /// <summary>The job of the point-operation benchmarks.</summary>
    public static Job QuickJob { get; } = Job.Default
        .WithId(JobId)
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(8)
        .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250));

    // 1 launch, 3 warm-up and 15 measured iterations of 500 ms.
    private static Job LongJob(string id) => Job.Default
        .WithId(id)
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(15)
        .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(500));
}
