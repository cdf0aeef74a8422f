namespace Kv;

// Metrics of the public point operations (KvMetrics). With no listener enabled, an operation pays one field read
// and one check, allocates nothing and reads no clock.
public abstract partial class KvStoreBase
{
    private readonly KvMetrics? _metrics;
    private KvMetricTags? _metricTags;

    internal KvMetricTags MetricTags => _metricTags ??= new KvMetricTags(
        Adaptor.BackendName,
        NamespacePath.Split(KvKeyLayout.NamespaceSeparator)[0]);

    /// <summary>The adaptor's metrics when something listens to the store instruments; otherwise <see langword="null"/>.</summary>
    private KvMetrics? EnabledMetrics
    {
        get
        {
            KvMetrics? metrics = _metrics;
            return metrics is not null && metrics.OperationsEnabled ? metrics : null;
        }
    }

    private long StartTimestamp(KvMetrics metrics) => metrics.DurationEnabled ? TimeProvider.GetTimestamp() : 0;

    private ValueTask<KvValue> MeasureRead(KvMetrics metrics, string operation, string key, bool includeDetails, CancellationToken cancellationToken)
    {
        long start = StartTimestamp(metrics);
        ValueTask<KvValue> read;
        try
        {
            read = GetCoreAsync(key, includeDetails, cancellationToken);
        }
        catch (Exception ex)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, ex);
            return ValueTask.FromException<KvValue>(ex);
        }

        if (read.IsCompletedSuccessfully)
        {
            // Completed already (an in-process backend): .Result does not block.
            KvValue value = read.Result;
            RecordRead(metrics, operation, start, value);
            return new ValueTask<KvValue>(value);
        }

        return AwaitRead(metrics, operation, start, read);
    }

    private async ValueTask<KvValue> AwaitRead(KvMetrics metrics, string operation, long start, ValueTask<KvValue> read)
    {
        KvValue value;
        try
        {
            value = await read.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, ex);
            throw;
        }

        RecordRead(metrics, operation, start, value);
        return value;
    }

    private void RecordRead(KvMetrics metrics, string operation, long start, KvValue value)
    {
        metrics.RecordOperation(MetricTags, operation, start, TimeProvider, error: null);
        metrics.RecordLookup(MetricTags, operation, value.HasValue ? 1 : 0, value.HasValue ? 0 : 1);
    }

    /// <summary>Records hits and misses of a multi-key read (for the batch API).</summary>
    private void RecordLookups(string operation, long hits, long misses)
    {
        if (EnabledMetrics is { } metrics)
        {
            metrics.RecordLookup(MetricTags, operation, hits, misses);
        }
    }

    private ValueTask<TResult> Measure<TState, TResult>(
        KvMetrics metrics,
        string operation,
        Func<KvStoreBase, TState, CancellationToken, ValueTask<TResult>> core,
        TState state,
        CancellationToken cancellationToken)
    {
        long start = StartTimestamp(metrics);
        ValueTask<TResult> task;
        try
        {
            task = core(this, state, cancellationToken);
        }
        catch (Exception ex)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, ex);
            return ValueTask.FromException<TResult>(ex);
        }

        if (task.IsCompletedSuccessfully)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, error: null);
            return task;
        }

        return AwaitMeasured(metrics, operation, start, task);
    }

    private async ValueTask<TResult> AwaitMeasured<TResult>(KvMetrics metrics, string operation, long start, ValueTask<TResult> task)
    {
        try
        {
            TResult result = await task.ConfigureAwait(false);
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, error: null);
            return result;
        }
        catch (Exception ex)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, ex);
            throw;
        }
    }

    private ValueTask Measure<TState>(
        KvMetrics metrics,
        string operation,
        Func<KvStoreBase, TState, CancellationToken, ValueTask> core,
        TState state,
        CancellationToken cancellationToken)
    {
        long start = StartTimestamp(metrics);
        ValueTask task;
        try
        {
            task = core(this, state, cancellationToken);
        }
        catch (Exception ex)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, ex);
            return ValueTask.FromException(ex);
        }

        if (task.IsCompletedSuccessfully)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, error: null);
            return task;
        }

        return AwaitMeasured(metrics, operation, start, task);
    }

    private async ValueTask AwaitMeasured(KvMetrics metrics, string operation, long start, ValueTask task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            metrics.RecordOperation(MetricTags, operation, start, TimeProvider, ex);
            throw;
        }

        metrics.RecordOperation(MetricTags, operation, start, TimeProvider, error: null);
    }

    private ValueTask SetMeasuredAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        Instrumented(Operations.Set, static (s, a, ct) => s.SetCoreAsync(a.key, a.value, a.ttl, ct), (key, value, ttl), cancellationToken);

    private ValueTask<bool> SetIfNotExistsMeasuredAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        Instrumented(Operations.SetIfNotExists, static (s, a, ct) => s.SetIfNotExistsCoreAsync(a.key, a.value, a.ttl, ct), (key, value, ttl), cancellationToken);

    /// <summary>The <c>kv.operation</c> tag values.</summary>
    private static class Operations
    {
        public const string Get = "get";
        public const string GetEntry = "get_entry";
        public const string Set = "set";
        public const string Delete = "delete";
        public const string Exists = "exists";
        public const string Expire = "expire";
        public const string Increment = "increment";
        public const string SetIfNotExists = "set_if_not_exists";
    }
}
