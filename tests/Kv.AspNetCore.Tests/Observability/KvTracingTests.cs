using System.Collections.Concurrent;
using System.Diagnostics;
using Kv.AspNetCore.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.Observability;

/// <summary>
/// Tests that listen to the process-wide "Kv" activity source, and the test that needs nobody listening to it: they
/// run alone, not beside the other test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KvActivitySourceTests
{
    public const string Name = "Kv activity source";
}

/// <summary>The activity source "Kv": one client span per store operation, named and tagged by OpenTelemetry's
/// database-client conventions, never carrying a key or a value.</summary>
[Collection(KvActivitySourceTests.Name)]
public sealed class KvTracingTests(OwnRedisServerFixture redis) : IClassFixture<OwnRedisServerFixture>, IDisposable
{
    private const string TestSourceName = "Kv.AspNetCore.Tests.Tracing";
    private static readonly ActivitySource TestSource = new(TestSourceName);

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task One_operation_is_one_client_span_named_after_it_under_the_current_activity()
    {
        using var metrics = new KvMetrics(meterFactory: null);
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: metrics).Namespace("orders");

        using (Activity root = _spans.StartRoot())
        {
            await store.SetAsync("secret-key", "secret-value");
            Assert.Same(root, Activity.Current);
        }

        Activity span = Assert.Single(_spans.Completed);
        Assert.Equal("set", span.DisplayName);
        Assert.Equal("set", span.OperationName);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal(KvTracing.ActivitySourceName, span.Source.Name);
        Assert.Equal(_spans.RootSpanId, span.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Equal(
            [new("db.operation.name", "set"), new("db.system.name", "memory")],
            span.TagObjects.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new KeyValuePair<string, string?>(t.Key, t.Value?.ToString())));
        SpanCollector.AssertCarriesNoSecret(span);
    }

    [Fact]
    public async Task A_failed_operation_has_the_error_status_and_type_but_no_message()
    {
        IAtomicKvStore store = new MemoryKv().Namespace("orders");
        await store.SetAsync("secret-key", "secret-value");

        using (_spans.StartRoot())
        {
            await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("secret-key").AsTask());
            await Assert.ThrowsAsync<KvException>(() => store.GetRequiredManyAsync<string>(["secret-missing"]).AsTask());
        }

        Activity increment = Assert.Single(_spans.Completed, s => s.DisplayName == "increment");
        Assert.Equal(ActivityStatusCode.Error, increment.Status);
        Assert.Equal("NotNumeric", increment.StatusDescription);
        Assert.Equal("NotNumeric", increment.GetTagItem("error.type"));
        Assert.Empty(increment.Events);

        // The batch read itself succeeded; the missing key is the caller's error, and its message (which names the key)
        // is in no span.
        Activity getMany = Assert.Single(_spans.Completed, s => s.DisplayName == "get_many");
        Assert.Equal(ActivityStatusCode.Unset, getMany.Status);
        Assert.All(_spans.Completed, SpanCollector.AssertCarriesNoSecret);
    }

    [Fact]
    public async Task The_synchronous_api_and_the_data_api_are_traced_too_without_metrics_on_the_adaptor()
    {
        IAtomicKvStore store = new MemoryKv().Namespace("orders");

        using (_spans.StartRoot())
        {
            store.Synchronous.Set("secret-key", "secret-value");
            Assert.Equal("secret-value", store.Synchronous.Get<string>("secret-key"));
            await store.GetManyAsync<string>(["secret-key"]);
            await store.CreateTransaction().Set(store, "secret-other", 1).CommitAsync();
        }

        Assert.Equal(["set", "get", "get_many", "commit"], _spans.Completed.Select(s => s.DisplayName));
        Assert.All(_spans.Completed, s => Assert.Equal("memory", s.GetTagItem("db.system.name")));
        Assert.All(_spans.Completed, SpanCollector.AssertCarriesNoSecret);
    }

    [Fact]
    public async Task The_top_level_namespace_is_an_attribute_only_when_opted_in()
    {
        using var metrics = new KvMetrics(meterFactory: null, new KvMetricsOptions { IncludeNamespace = true });
        IAtomicKvStore store = new MemoryKv(new MemoryKvOptions(), metrics: metrics).Namespace("sessions").Namespace("secret-tenant");

        using (_spans.StartRoot())
        {
            await store.ExistsAsync("secret-key");
        }

        Activity span = Assert.Single(_spans.Completed);
        Assert.Equal("sessions", span.GetTagItem("kv.namespace"));
        SpanCollector.AssertCarriesNoSecret(span);
    }

    [Fact]
    public async Task A_Redis_operation_is_a_client_span_with_the_redis_system_name_and_leaves_the_callers_activity_current()
    {
        await using RedisKv kv = redis.CreateAdaptor(OwnRedisServerFixture.NewInstanceName());
        IAtomicKvStore store = kv.Namespace("m");
        await store.SetAsync("secret-key", 1);

        using (Activity root = _spans.StartRoot())
        {
            ValueTask<int> read = store.GetAsync<int>("secret-key");
            Assert.Same(root, Activity.Current);
            Assert.Equal(1, await read);
            Assert.Same(root, Activity.Current);
            await store.IncrementAsync("secret-counter", long.MaxValue);
            await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("secret-counter", 1).AsTask());
        }

        Activity get = Assert.Single(_spans.Completed, s => s.DisplayName == "get");
        Assert.Equal(ActivityKind.Client, get.Kind);
        Assert.Equal("redis", get.GetTagItem("db.system.name"));
        Assert.Equal(_spans.RootSpanId, get.ParentSpanId);
        Assert.True(get.Duration >= TimeSpan.Zero);
        Activity overflow = Assert.Single(_spans.Completed, s => s.DisplayName == "increment" && s.Status == ActivityStatusCode.Error);
        Assert.Equal("Overflow", overflow.GetTagItem("error.type"));
        Assert.All(_spans.Completed, SpanCollector.AssertCarriesNoSecret);
    }

    [Fact]
    public async Task A_SQLite_operation_is_traced_and_measured_with_the_sqlite_system_name()
    {
        // A SQLite write completes later (it joins the writer thread's group commit): its span ends then, and the
        // caller has its own activity back as soon as the call returns.
        string directory = Directory.CreateTempSubdirectory("kv-tracing-").FullName;
        try
        {
            using var metrics = new KvMetrics(meterFactory: null);
            using var collector = new MetricCollector(metrics.Meter);
            await using (var kv = new SqliteKv(new SqliteKvOptions { Path = Path.Combine(directory, "kv.db") }, metrics: metrics))
            {
                IAtomicKvStore store = kv.Namespace("m");
                using (Activity root = _spans.StartRoot())
                {
                    ValueTask write = store.SetAsync("secret-key", "secret-value");
                    Assert.Same(root, Activity.Current);
                    await write;
                    Assert.Equal("secret-value", await store.GetAsync<string>("secret-key"));
                    Assert.Same(root, Activity.Current);
                }
            }

            Assert.Equal(["set", "get"], _spans.Completed.Select(s => s.DisplayName));
            Assert.All(_spans.Completed, s => Assert.Equal("sqlite", s.GetTagItem("db.system.name")));
            Assert.All(_spans.Completed, SpanCollector.AssertCarriesNoSecret);
            Assert.Equal(1, collector.Count("db.client.operation.duration", ("db.system.name", "sqlite"), ("db.operation.name", "set")));
            Assert.Equal(1, collector.Sum("kv.hits", ("db.system.name", "sqlite"), ("db.operation.name", "get")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Collects the "Kv" spans of this test's root activity only.</summary>
    private sealed class SpanCollector : IDisposable
    {
        private readonly ActivityListener _listener = new();
        private readonly ConcurrentQueue<Activity> _completed = new();
        private ActivityTraceId _traceId;

        public SpanCollector()
        {
            _listener.ShouldListenTo = source => source.Name is KvTracing.ActivitySourceName or TestSourceName;
            _listener.Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
            _listener.ActivityStopped = activity =>
            {
                if (activity.Source.Name == KvTracing.ActivitySourceName && activity.TraceId == _traceId)
                {
                    _completed.Enqueue(activity);
                }
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyList<Activity> Completed => [.. _completed];

        public ActivitySpanId RootSpanId { get; private set; }

        public Activity StartRoot()
        {
            Activity root = TestSource.StartActivity("test root") ?? throw new InvalidOperationException("The test source is listened to.");
            _traceId = root.TraceId;
            RootSpanId = root.SpanId;
            return root;
        }

        public static void AssertCarriesNoSecret(Activity span)
        {
            Assert.DoesNotContain("secret", span.DisplayName, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", span.StatusDescription ?? string.Empty, StringComparison.Ordinal);
            Assert.All(span.TagObjects, t => Assert.DoesNotContain("secret", t.Value?.ToString() ?? string.Empty, StringComparison.Ordinal));
            Assert.Empty(span.Events);
            Assert.Empty(span.Baggage);
        }

        public void Dispose() => _listener.Dispose();
    }
}
