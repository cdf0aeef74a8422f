using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kv;

/// <summary>
/// Kv's instruments, on the meter <see cref="MeterName"/> (<c>"Kv"</c>) created through <see cref="IMeterFactory"/>.
/// One instance per application: <c>services.AddKv()</c> registers it and gives it to the adaptor; stores, the memory
/// GC, the distributed locks and the rate limiters record on it.
/// </summary>
/// <remarks>
/// <para>Instruments (tags in brackets; <c>kv.namespace</c> only with <see cref="KvMetricsOptions.IncludeNamespace"/>):</para>
/// <list type="table">
/// <item><term><c>kv.operations</c></term><description>counter, <c>{operation}</c>: store operations [kv.backend, kv.operation, kv.result, error.type]</description></item>
/// <item><term><c>kv.operation.duration</c></term><description>histogram, <c>s</c>: their duration [same tags]</description></item>
/// <item><term><c>kv.hits</c>, <c>kv.misses</c></term><description>counters, <c>{lookup}</c>: reads that found / did not find the key [kv.backend, kv.operation]</description></item>
/// <item><term><c>kv.gc.passes</c>, <c>kv.gc.removed</c></term><description>counters, <c>{pass}</c> / <c>{entry}</c>: expiry GC passes and the entries they removed [kv.backend]</description></item>
/// <item><term><c>kv.ratelimit.decisions</c></term><description>counter, <c>{decision}</c>: rate limiter decisions [kv.backend, kv.ratelimit.algorithm, kv.result]</description></item>
/// <item><term><c>kv.lock.acquisitions</c></term><description>counter, <c>{acquisition}</c>: lock attempts [kv.backend, kv.result]</description></item>
/// <item><term><c>kv.lock.losses</c></term><description>counter, <c>{loss}</c>: held locks found lost [kv.backend]</description></item>
/// </list>
/// <para><c>kv.result</c> is <c>success</c>, <c>error</c> or <c>canceled</c> for operations; <c>error.type</c> is the
/// <see cref="KvErrorCode"/> of a <see cref="KvException"/>, or the exception's type name. No tag ever carries a key or a
/// value. When no listener is enabled on an instrument, recording costs one check and allocates nothing; a store
/// reads the clock only when the duration histogram is listened to.</para>
/// </remarks>
public sealed class KvMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Kv";

    private static readonly double[] DurationBuckets =
        [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _operations;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _gcPasses;
    private readonly Counter<long> _gcRemoved;
    private readonly Counter<long> _rateLimitDecisions;
    private readonly Counter<long> _lockAcquisitions;
    private readonly Counter<long> _lockLosses;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    /// <param name="meterFactory">The application's meter factory; <see langword="null"/> for a meter of this instance's
    /// own (disposed with it).</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    public KvMetrics(IMeterFactory? meterFactory, KvMetricsOptions? options = null)
    {
        IncludeNamespace = options?.IncludeNamespace ?? false;
        var meterOptions = new MeterOptions(MeterName) { Version = typeof(KvMetrics).Assembly.GetName().Version?.ToString() };
        if (meterFactory is null)
        {
            _meter = new Meter(meterOptions);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(meterOptions);
        }

        _operations = _meter.CreateCounter<long>("kv.operations", "{operation}", "Kv store operations.");
        _duration = _meter.CreateHistogram<double>(
            "kv.operation.duration",
            "s",
            "Duration of Kv store operations.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _hits = _meter.CreateCounter<long>("kv.hits", "{lookup}", "Reads that found the key.");
        _misses = _meter.CreateCounter<long>("kv.misses", "{lookup}", "Reads that did not find the key (missing or expired).");
        _gcPasses = _meter.CreateCounter<long>("kv.gc.passes", "{pass}", "Expired-entry GC passes.");
        _gcRemoved = _meter.CreateCounter<long>("kv.gc.removed", "{entry}", "Expired entries removed by GC passes.");
        _rateLimitDecisions = _meter.CreateCounter<long>("kv.ratelimit.decisions", "{decision}", "Kv rate limiter decisions.");
        _lockAcquisitions = _meter.CreateCounter<long>("kv.lock.acquisitions", "{acquisition}", "Attempts to take a Kv distributed lock.");
        _lockLosses = _meter.CreateCounter<long>("kv.lock.losses", "{loss}", "Held Kv distributed locks found lost by renewal.");
    }

    /// <summary>Whether measurements carry the <c>kv.namespace</c> tag (<see cref="KvMetricsOptions.IncludeNamespace"/>).</summary>
    public bool IncludeNamespace { get; }

    /// <summary>The meter.</summary>
    public Meter Meter => _meter;

    // One check on the hot path of every store operation: is anything listening to the store instruments?
    internal bool OperationsEnabled => _operations.Enabled || _duration.Enabled || _hits.Enabled || _misses.Enabled;

    internal bool DurationEnabled => _duration.Enabled;

    /// <summary>Records one pass of an expired-entry GC.</summary>
    /// <param name="adaptor">The adaptor whose entries were collected.</param>
    /// <param name="removed">How many entries the pass removed.</param>
    public void RecordGcPass(KvAdaptor adaptor, long removed)
    {
        ArgumentNullException.ThrowIfNull(adaptor);
        if (_gcPasses.Enabled || _gcRemoved.Enabled)
        {
            var tags = new TagList { { KvMetricTags.Backend, adaptor.BackendName } };
            _gcPasses.Add(1, tags);
            _gcRemoved.Add(removed, tags);
        }
    }

    /// <summary>Records a rate limiter's decision on a store of an adaptor.</summary>
    /// <param name="store">The store the limiter keeps its counters in.</param>
    /// <param name="algorithm">The algorithm, a constant such as <c>fixed_window</c>, <c>sliding_window</c> or
    /// <c>token_bucket</c> (the <c>kv.ratelimit.algorithm</c> tag; never a partition key).</param>
    /// <param name="decision">The decision.</param>
    public void RecordRateLimiterDecision(IKvStore store, string algorithm, KvRateLimiterDecision decision)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(algorithm);
        if (_rateLimitDecisions.Enabled)
        {
            TagList tags = StoreTags(store);
            tags.Add(KvMetricTags.RateLimitAlgorithm, algorithm);
            tags.Add(KvMetricTags.Result, DecisionName(decision));
            _rateLimitDecisions.Add(1, tags);
        }
    }

    /// <summary>Records a rate limiter's decision on an adaptor (when the limiter holds no store of its own).</summary>
    /// <param name="adaptor">The adaptor.</param>
    /// <param name="algorithm">The algorithm (see <see cref="RecordRateLimiterDecision(IKvStore, string, KvRateLimiterDecision)"/>).</param>
    /// <param name="decision">The decision.</param>
    public void RecordRateLimiterDecision(KvAdaptor adaptor, string algorithm, KvRateLimiterDecision decision)
    {
        ArgumentNullException.ThrowIfNull(adaptor);
        ArgumentNullException.ThrowIfNull(algorithm);
        if (_rateLimitDecisions.Enabled)
        {
            var tags = new TagList
            {
                { KvMetricTags.Backend, adaptor.BackendName },
                { KvMetricTags.RateLimitAlgorithm, algorithm },
                { KvMetricTags.Result, DecisionName(decision) },
            };
            _rateLimitDecisions.Add(1, tags);
        }
    }

    /// <summary>Records an attempt to take a distributed lock kept in <paramref name="store"/>.</summary>
    /// <param name="store">The store of the locks.</param>
    /// <param name="result">How the attempt ended.</param>
    public void RecordLockAcquisition(IKvStore store, KvLockAcquisitionResult result)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (_lockAcquisitions.Enabled)
        {
            TagList tags = StoreTags(store);
            tags.Add(KvMetricTags.Result, result switch
            {
                KvLockAcquisitionResult.Acquired => "acquired",
                KvLockAcquisitionResult.Busy => "busy",
                _ => "timeout",
            });
            _lockAcquisitions.Add(1, tags);
        }
    }

    /// <summary>Records that a held lock kept in <paramref name="store"/> was found lost.</summary>
    /// <param name="store">The store of the locks.</param>
    public void RecordLockLost(IKvStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (_lockLosses.Enabled)
        {
            _lockLosses.Add(1, StoreTags(store));
        }
    }

    /// <summary>Disposes the meter when this instance created it (a factory's meters are disposed by the factory).</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    internal void RecordOperation(KvMetricTags storeTags, string operation, long startTimestamp, TimeProvider clock, Exception? error)
    {
        var tags = new TagList
        {
            { KvMetricTags.Backend, storeTags.BackendName },
            { KvMetricTags.Operation, operation },
            { KvMetricTags.Result, error switch { null => "success", OperationCanceledException => "canceled", _ => "error" } },
        };
        if (error is not null and not OperationCanceledException)
        {
            tags.Add(KvMetricTags.ErrorType, error is KvException kv ? kv.Code.ToString() : error.GetType().Name);
        }

        if (IncludeNamespace)
        {
            tags.Add(KvMetricTags.Namespace, storeTags.TopLevelNamespace);
        }

        _operations.Add(1, tags);
        if (startTimestamp != 0 && _duration.Enabled)
        {
            _duration.Record(clock.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        }
    }

    internal void RecordLookup(KvMetricTags storeTags, string operation, long hits, long misses)
    {
        if (!_hits.Enabled && !_misses.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { KvMetricTags.Backend, storeTags.BackendName },
            { KvMetricTags.Operation, operation },
        };
        if (IncludeNamespace)
        {
            tags.Add(KvMetricTags.Namespace, storeTags.TopLevelNamespace);
        }

        if (hits > 0)
        {
            _hits.Add(hits, tags);
        }

        if (misses > 0)
        {
            _misses.Add(misses, tags);
        }
    }

    private static string DecisionName(KvRateLimiterDecision decision) => decision switch
    {
        KvRateLimiterDecision.Acquired => "acquired",
        KvRateLimiterDecision.Rejected => "rejected",
        KvRateLimiterDecision.FailedOpen => "failed_open",
        _ => "failed_closed",
    };

    private TagList StoreTags(IKvStore store)
    {
        KvMetricTags storeTags = store is KvStoreBase known ? known.MetricTags : KvMetricTags.Unknown;
        var tags = new TagList { { KvMetricTags.Backend, storeTags.BackendName } };
        if (IncludeNamespace)
        {
            tags.Add(KvMetricTags.Namespace, storeTags.TopLevelNamespace);
        }

        return tags;
    }
}
