using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kv;

// Metrics (KvMetrics) and traces (KvTracing) of the public operations. With no listener enabled on the store instruments
// and none on the activity source, an operation pays one field read and two checks, allocates nothing and reads no
// clock.
public abstract partial class KvStoreBase
{
    private readonly KvMetrics? _metrics;
    private KvMetricTags? _metricTags;

    internal KvMetricTags MetricTags => _metricTags ??= new KvMetricTags(
        Adaptor.BackendName,
        NamespacePath.Split(KvKeyLayout.NamespaceSeparator)[0]);

    /// <summary>
    /// The adaptor's metrics when something listens to the store instruments or to the activity source (an adaptor
    /// without metrics then traces on <see cref="KvMetrics.None"/>); otherwise <see langword="null"/>.
    /// </summary>
    private KvMetrics? EnabledMetrics
    {
        get
        {
            KvMetrics? metrics = _metrics;
            if (metrics is not null && metrics.OperationsEnabled)
            {
                return metrics;
            }

            return KvTracing.Source.HasListeners() ? metrics ?? KvMetrics.None : null;
        }
    }

    /// <summary>Starts an operation: its start time when the duration is listened to, and its span when sampled.</summary>
    private OperationScope Begin(KvMetrics metrics, string operation)
    {
        long start = metrics.DurationEnabled ? TimeProvider.GetTimestamp() : 0;
        Activity? span = KvTracing.Source.HasListeners() ? StartSpan(metrics, operation) : null;
        return new OperationScope(operation, start, span);
    }

    private Activity? StartSpan(KvMetrics metrics, string operation)
    {
        // The attributes a sampler may look at are given at creation, as the conventions ask.
        KeyValuePair<string, object?>[] tags = metrics.IncludeNamespace
            ? [new(KvMetricTags.DbSystemName, MetricTags.BackendName), new(KvMetricTags.DbOperationName, operation), new(KvMetricTags.Namespace, MetricTags.TopLevelNamespace)]
            : [new(KvMetricTags.DbSystemName, MetricTags.BackendName), new(KvMetricTags.DbOperationName, operation)];
        return KvTracing.Source.StartActivity(operation, ActivityKind.Client, parentContext: default, tags, links: null, TimeProvider.GetUtcNow());
    }

    /// <summary>Ends an operation: records its duration, and ends its span (with the error, if any).</summary>
    private void End(KvMetrics metrics, OperationScope scope, Exception? error)
    {
        string? errorType = error is null ? null : KvMetricTags.ErrorTypeOf(error);
        metrics.RecordOperation(MetricTags, scope.Operation, scope.Start, TimeProvider, errorType);
        if (scope.Span is { } span)
        {
            if (errorType is not null)
            {
                // The type only: an exception's message may name keys.
                span.SetTag(KvMetricTags.ErrorType, errorType);
                span.SetStatus(ActivityStatusCode.Error, errorType);
            }

            span.SetEndTime(TimeProvider.GetUtcNow().UtcDateTime);
            span.Stop();
        }
    }

    /// <summary>
    /// For an operation that goes on asynchronously: its span stays current in the awaiting method only, so the caller
    /// returns with the activity it had before.
    /// </summary>
    private static void Detach(OperationScope scope)
    {
        if (scope.Span is { } span)
        {
            Activity.Current = span.Parent;
        }
    }

    private ValueTask<KvValue> MeasureRead(KvMetrics metrics, string operation, string key, bool includeDetails, CancellationToken cancellationToken)
    {
        OperationScope scope = Begin(metrics, operation);
        ValueTask<KvValue> read;
        try
        {
            read = GetCoreAsync(key, includeDetails, cancellationToken);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            return ValueTask.FromException<KvValue>(ex);
        }

        if (read.IsCompletedSuccessfully)
        {
            // Completed already (an in-process backend): .Result does not block.
            KvValue value = read.Result;
            EndRead(metrics, scope, value);
            return new ValueTask<KvValue>(value);
        }

        ValueTask<KvValue> pending = AwaitRead(metrics, scope, read);
        Detach(scope);
        return pending;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<KvValue> AwaitRead(KvMetrics metrics, OperationScope scope, ValueTask<KvValue> read)
    {
        KvValue value;
        try
        {
            value = await read.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            throw;
        }

        EndRead(metrics, scope, value);
        return value;
    }

    private void EndRead(KvMetrics metrics, OperationScope scope, KvValue value)
    {
        End(metrics, scope, error: null);
        metrics.RecordLookup(MetricTags, scope.Operation, value.HasValue ? 1 : 0, value.HasValue ? 0 : 1);
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
        OperationScope scope = Begin(metrics, operation);
        ValueTask<TResult> task;
        try
        {
            task = core(this, state, cancellationToken);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            return ValueTask.FromException<TResult>(ex);
        }

        if (task.IsCompletedSuccessfully)
        {
            End(metrics, scope, error: null);
            return task;
        }

        ValueTask<TResult> pending = AwaitMeasured(metrics, scope, task);
        Detach(scope);
        return pending;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResult> AwaitMeasured<TResult>(KvMetrics metrics, OperationScope scope, ValueTask<TResult> task)
    {
        TResult result;
        try
        {
            result = await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            throw;
        }

        End(metrics, scope, error: null);
        return result;
    }

    private ValueTask Measure<TState>(
        KvMetrics metrics,
        string operation,
        Func<KvStoreBase, TState, CancellationToken, ValueTask> core,
        TState state,
        CancellationToken cancellationToken)
    {
        OperationScope scope = Begin(metrics, operation);
        ValueTask task;
        try
        {
            task = core(this, state, cancellationToken);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            return ValueTask.FromException(ex);
        }

        if (task.IsCompletedSuccessfully)
        {
            End(metrics, scope, error: null);
            return task;
        }

        ValueTask pending = AwaitMeasured(metrics, scope, task);
        Detach(scope);
        return pending;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitMeasured(KvMetrics metrics, OperationScope scope, ValueTask task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            throw;
        }

        End(metrics, scope, error: null);
    }

    /// <summary>A synchronous read (<see cref="IKvSynchronousStore"/>), measured and traced when something listens.</summary>
    private KvValue ReadSync(string operation, string key, bool includeDetails)
    {
        KvMetrics? metrics = EnabledMetrics;
        if (metrics is null)
        {
            return GetCore(key, includeDetails);
        }

        OperationScope scope = Begin(metrics, operation);
        KvValue value;
        try
        {
            value = GetCore(key, includeDetails);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            throw;
        }

        EndRead(metrics, scope, value);
        return value;
    }

    /// <summary>A synchronous operation (<see cref="IKvSynchronousStore"/>), measured and traced when something listens.</summary>
    private TResult MeasureSync<TState, TResult>(string operation, Func<KvStoreBase, TState, TResult> core, TState state)
    {
        KvMetrics? metrics = EnabledMetrics;
        if (metrics is null)
        {
            return core(this, state);
        }

        OperationScope scope = Begin(metrics, operation);
        TResult result;
        try
        {
            result = core(this, state);
        }
        catch (Exception ex)
        {
            End(metrics, scope, ex);
            throw;
        }

        End(metrics, scope, error: null);
        return result;
    }

    private ValueTask SetMeasuredAsync(string key, in KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        if (EnabledMetrics is { } metrics)
        {
            return Measure(metrics, KvOperationNames.Set, static (s, a, ct) => s.SetCoreAsync(a.key, a.value, a.ttl, ct), (key, value, ttl), cancellationToken);
        }

        // Unmeasured: the core directly, without a delegate and its state; a backend that completes every operation
        // synchronously through its synchronous core, without a task. A core's failure goes into the task either way.
        try
        {
            if (ReadsSynchronously)
            {
                SetCore(key, value, ttl);
                return default;
            }

            return SetCoreAsync(key, value, ttl, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private ValueTask<bool> SetIfNotExistsMeasuredAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        Instrumented(KvOperationNames.SetIfNotExists, static (s, a, ct) => s.SetIfNotExistsCoreAsync(a.key, a.value, a.ttl, ct), (key, value, ttl), cancellationToken);

    /// <summary>One operation under way: its name, its start timestamp (0 when not timed) and its span (if sampled).</summary>
    private readonly record struct OperationScope(string Operation, long Start, Activity? Span);
}
