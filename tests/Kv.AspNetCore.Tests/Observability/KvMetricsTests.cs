using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.Observability;

/// <summary>The meter "Kv": instruments, attributes (OpenTelemetry's database-client conventions), opt-in namespace
/// attribute, cost with no listener, and DI wiring.</summary>
/// <remarks>In the collection of the tracing tests: the allocation test needs no listener on the "Kv" activity source,
/// which is process-wide.</remarks>
[Collection(KvActivitySourceTests.Name)]
public sealed class KvMetricsTests : IDisposable
{
    private const string Duration = "db.client.operation.duration";

    private readonly KvMetrics _metrics = new(meterFactory: null);
    private readonly MetricCollector _collector;

    public KvMetricsTests()
    {
        _collector = new MetricCollector(_metrics.Meter);
    }

    public void Dispose()
    {
        _collector.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public async Task Store_operations_are_timed_with_the_system_and_operation_attributes()
    {
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: _metrics).Namespace("orders");

        await store.SetAsync("a", 1);
        await store.GetAsync<int>("a");
        await store.GetAsync<int>("missing");
        await store.GetEntryAsync<int>("a");
        await store.ExistsAsync("a");
        await store.ExpireAsync("a", TimeSpan.FromMinutes(1));
        await store.IncrementAsync("n");
        await store.SetIfNotExistsAsync("s", "x");
        await store.DeleteAsync("a");

        foreach (string operation in new[] { "set", "get_entry", "exists", "expire", "increment", "set_if_not_exists", "delete" })
        {
            Assert.Equal(1, _collector.Count(Duration, ("db.operation.name", operation), ("db.system.name", "memory")));
        }

        Assert.Equal(2, _collector.Count(Duration, ("db.operation.name", "get")));
        Assert.Equal(9, _collector.Of(Duration).Count());
        Assert.All(_collector.Of(Duration), m => Assert.Equal(["db.operation.name", "db.system.name"], m.Tags.Keys.Order(StringComparer.Ordinal)));
        Assert.Equal(2, _collector.Sum("kv.hits"));
        Assert.Equal(1, _collector.Sum("kv.hits", ("db.operation.name", "get_entry"), ("db.system.name", "memory")));
        Assert.Equal(1, _collector.Sum("kv.misses", ("db.operation.name", "get")));
        Assert.All(_collector.Measurements, m => Assert.False(m.Tags.ContainsKey("kv.namespace"), "no namespace tag unless opted in"));
        Assert.All(_collector.Measurements, m => Assert.DoesNotContain(m.Tags.Values, v => v is "a" or "missing" or "n" or "s"));
    }

    [Fact]
    public async Task Data_api_operations_are_timed_and_batch_reads_count_hits_and_misses()
    {
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: _metrics).Namespace("orders");

        await store.SetManyAsync(new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 });
        await store.GetManyAsync<int>(["a", "b", "missing"]);
        await store.DeleteManyAsync(["b"]);
        await store.GetTimeToLiveAsync("a");
        await store.PersistAsync("a");
        await store.ListAsync();
        await store.CountAsync();
        await store.GetStorageSizeAsync();
        await store.CreateTransaction().Set(store, "c", 3).CommitAsync();

        foreach (string operation in new[] { "set_many", "get_many", "delete_many", "get_ttl", "persist", "list", "count", "storage_size", "commit" })
        {
            Assert.Equal(1, _collector.Count(Duration, ("db.operation.name", operation)));
        }

        Assert.DoesNotContain(_collector.Of(Duration), m => m.Tags.ContainsKey("error.type"));
        Assert.Equal(2, _collector.Sum("kv.hits", ("db.operation.name", "get_many")));
        Assert.Equal(1, _collector.Sum("kv.misses", ("db.operation.name", "get_many")));
    }

    [Fact]
    public async Task Failures_are_timed_with_the_error_code_as_error_type()
    {
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: _metrics).Namespace("orders");
        await store.SetAsync("text", "ten");

        await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("text").AsTask());

        Assert.Equal(1, _collector.Count(Duration, ("db.operation.name", "increment"), ("error.type", "NotNumeric")));
    }

    [Fact]
    public async Task The_namespace_tag_is_the_top_level_namespace_and_only_when_opted_in()
    {
        using var metrics = new KvMetrics(meterFactory: null, new KvMetricsOptions { IncludeNamespace = true });
        using var collector = new MetricCollector(metrics.Meter);
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: metrics).Namespace("sessions").Namespace("admin");

        await store.SetAsync("k", 1);

        Assert.Equal(1, collector.Count(Duration, ("kv.namespace", "sessions"), ("db.operation.name", "set")));
    }

    [Fact]
    public async Task With_no_listener_instrumentation_adds_no_allocation_to_a_read()
    {
        using var unobserved = new KvMetrics(meterFactory: null);
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: unobserved).Namespace("hot");
        IAtomicKvStore plain = new MemoryKv().Namespace("hot");
        await store.SetAsync("k", 42L);
        await plain.SetAsync("k", 42L);

        (long sum, long allocated) = ReadManyTimes(store);
        (_, long baseline) = ReadManyTimes(plain);

        // Whatever the backend's own read costs (measured on a store without metrics), metrics add nothing to it.
        Assert.Equal(420_000L, sum);
        Assert.Equal(baseline, allocated);
    }

    // Synchronous on purpose: the memory backend completes every read synchronously, and an await would not allocate
    // either, but a loop without one measures only the read path.
    private static (long Sum, long Allocated) ReadManyTimes(IAtomicKvStore store)
    {
        for (int i = 0; i < 2_000; i++)
        {
            ReadCompleted(store);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            sum += ReadCompleted(store);
        }

        return (sum, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static long ReadCompleted(IAtomicKvStore store)
    {
        ValueTask<long> read = store.GetAsync<long>("k");
        return read.IsCompletedSuccessfully ? read.Result : throw new InvalidOperationException("The memory backend completes reads synchronously.");
    }

    [Fact]
    public async Task Lock_acquisitions_and_losses_are_counted()
    {
        var clock = new FakeTimeProvider();
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), clock, metrics: _metrics).Namespace("locks");
        using var logs = new CapturingLoggerProvider();
        using var lockMetrics = new KvAspNetCoreMetrics(meterFactory: null);
        using var collector = new MetricCollector(lockMetrics.Meter);
        var provider = new KvDistributedLockProvider(store, new KvDistributedLockOptions { Lease = TimeSpan.FromSeconds(30) }, clock, logs, lockMetrics);

        KvDistributedLockHandle held = (await provider.TryAcquireAsync("job:secret-name"))!;
        Assert.Null(await provider.TryAcquireAsync("job:secret-name"));
        Task<KvDistributedLockHandle> waiting = provider.AcquireAsync("job:secret-name", timeout: TimeSpan.FromSeconds(1)).AsTask();
        for (int i = 0; i < 1000 && !waiting.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        await Assert.ThrowsAsync<KvException>(() => waiting);
        await store.DeleteAsync("job:secret-name");
        clock.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => held.IsLost, "the lock was lost");
        await held.DisposeAsync();

        Assert.Equal(1, collector.Sum("kv.lock.acquisitions", ("kv.lock.result", "acquired")));
        Assert.Equal(1, collector.Sum("kv.lock.acquisitions", ("kv.lock.result", "busy")));
        Assert.Equal(1, collector.Sum("kv.lock.acquisitions", ("kv.lock.result", "timeout")));
        Assert.Equal(1, collector.Sum("kv.lock.losses"));
        Assert.All(collector.Measurements, m => Assert.DoesNotContain(m.Tags.Values, v => v != null && v.Contains("secret", StringComparison.Ordinal)));

        // The lock's store operations are measured as any other, on the store's meter.
        Assert.True(_collector.Count(Duration, ("db.operation.name", "commit"), ("db.system.name", "memory")) >= 3, "each attempt is one commit");

        var lost = Assert.Single(logs.Events, e => e.EventId.Id == 4001);
        Assert.Equal(LogLevel.Warning, lost.Level);
        Assert.DoesNotContain("secret-name", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rate_limiter_decisions_are_counted_by_algorithm_and_result_without_the_partition_key()
    {
        using var limiterMetrics = new KvAspNetCoreMetrics(meterFactory: null);
        using var collector = new MetricCollector(limiterMetrics.Meter);
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: _metrics).Namespace("limits");
        using var limiter = new KvFixedWindowRateLimiter(
            store, "secret-partition", new() { PermitLimit = 1, Window = TimeSpan.FromMinutes(1) }, metrics: limiterMetrics);

        using (await limiter.AcquireAsync())
        using (await limiter.AcquireAsync())
        {
        }

        Assert.Equal(1, collector.Sum("kv.ratelimit.decisions", ("kv.ratelimit.algorithm", "fixed_window"), ("kv.ratelimit.result", "acquired")));
        Assert.Equal(1, collector.Sum("kv.ratelimit.decisions", ("kv.ratelimit.algorithm", "fixed_window"), ("kv.ratelimit.result", "rejected")));
        Assert.All(collector.Measurements, m => Assert.Equal(["kv.ratelimit.algorithm", "kv.ratelimit.result"], m.Tags.Keys.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task A_partition_limiter_counts_on_the_meter_factorys_Kv_meter_without_any_registration_of_its_own()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddKv();
        await using ServiceProvider provider = services.BuildServiceProvider();
        using var collector = new MetricCollector(provider.GetRequiredService<KvMetrics>().Meter);

        RateLimitPartition<string> partition = KvRateLimitPartition.GetFixedWindowLimiter(
            "secret-partition", provider, _ => new KvFixedWindowRateLimiterOptions { PermitLimit = 1, Window = TimeSpan.FromMinutes(1) });
        using (RateLimiter limiter = partition.Factory(partition.PartitionKey))
        using (await limiter.AcquireAsync())
        {
        }

        Assert.Equal(1, collector.Sum("kv.ratelimit.decisions", ("kv.ratelimit.algorithm", "fixed_window"), ("kv.ratelimit.result", "acquired")));
    }

    [Fact]
    public void Lock_and_limiter_instruments_are_on_the_Kv_meter_of_the_meter_factory()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddKv();
        services.AddKvDistributedLocks();
        using ServiceProvider provider = services.BuildServiceProvider();

        KvAspNetCoreMetrics metrics = provider.GetRequiredService<KvAspNetCoreMetrics>();
        Assert.Equal(KvMetrics.MeterName, metrics.Meter.Name);
        Assert.Same(provider.GetRequiredService<IMeterFactory>(), metrics.Meter.Scope);
        // The factory gives the same meter to the store instruments and to these.
        Assert.Same(provider.GetRequiredService<KvMetrics>().Meter, metrics.Meter);
    }

    [Fact]
    public async Task AddKv_registers_the_meter_on_the_meter_factory_and_the_gc_service_records_passes()
    {
        var clock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddLogging();
        services.AddMetrics();
        services.AddKv().UseMemory(o => o.GcInterval = TimeSpan.FromSeconds(10));
        await using ServiceProvider provider = services.BuildServiceProvider();

        KvMetrics metrics = provider.GetRequiredService<KvMetrics>();
        MemoryKv kv = provider.GetRequiredService<MemoryKv>();
        Assert.Same(metrics, kv.Metrics);
        Assert.Equal(KvMetrics.MeterName, metrics.Meter.Name);
        Assert.Same(provider.GetRequiredService<IMeterFactory>(), metrics.Meter.Scope);
        using var collector = new MetricCollector(metrics.Meter);

        await kv.Namespace("t").SetAsync("a", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1)));
        await kv.Namespace("t").SetAsync("b", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1)));
        IHostedService[] hosted = [.. provider.GetServices<IHostedService>()];
        foreach (IHostedService service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        // ExecuteAsync runs on the thread pool: wait for the GC's timer before moving the clock.
        await Eventually.TrueAsync(() => clock.ActiveTimerPeriods.Contains(TimeSpan.FromSeconds(10)), "the GC timer started");
        clock.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => collector.Sum("kv.gc.passes") >= 1, "a GC pass ran");
        foreach (IHostedService service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        Assert.Equal(2, collector.Sum("kv.gc.removed", ("db.system.name", "memory")));
    }

    [Fact]
    public void AddKvMetrics_binds_the_namespace_option_from_configuration()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Kv:Metrics:IncludeNamespace"] = "true" })
            .Build());
        services.AddKv();
        services.AddKvMetrics();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.True(provider.GetRequiredService<KvMetrics>().IncludeNamespace);
        Assert.Single(services, d => d.ServiceType == typeof(KvMetrics));
    }
}
