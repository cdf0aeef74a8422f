using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kv;

/// <summary>
/// Kv's store instruments, on the meter <see cref="MeterName"/> (<c>"Kv"</c>) created through <see cref="IMeterFactory"/>.
/// One instance per application: <c>services.AddKv()</c> registers it and gives it to the adaptor; stores and the
/// memory GC record on it. (Kv.AspNetCore's locks and rate limiters record on the same meter name, with instruments of
/// their own.)
/// </summary>
/// <remarks>
/// <para>Instruments (attributes in brackets; <c>kv.namespace</c> only with <see cref="KvMetricsOptions.IncludeNamespace"/>):</para>
/// <list type="table">
/// <item><term><c>db.client.operation.duration</c></term><description>histogram, <c>s</c>: duration of store operations,
/// OpenTelemetry's database-client metric [db.system.name, db.operation.name, error.type on failure]</description></item>
/// <item><term><c>kv.hits</c>, <c>kv.misses</c></term><description>counters, <c>{lookup}</c>: reads that found / did not find the key [db.system.name, db.operation.name]</description></item>
/// <item><term><c>kv.gc.passes</c>, <c>kv.gc.removed</c></term><description>counters, <c>{pass}</c> / <c>{entry}</c>: expiry GC passes and the entries they removed [db.system.name]</description></item>
/// </list>
/// <para><c>db.system.name</c> is the adaptor's <see cref="KvAdaptor.BackendName"/> (<c>memory</c>, <c>redis</c>,
/// <c>sqlite</c>); <c>error.type</c> is the <see cref="KvErrorCode"/> of a <see cref="KvException"/>, or the exception's
/// full type name. No attribute ever carries a key or a value. When no listener is enabled on an instrument (and none
/// on <see cref="KvTracing"/>'s source), recording costs one check and allocates nothing; a store reads the clock only
/// when the duration histogram is listened to.</para>
/// </remarks>
public sealed class KvMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Kv";

    // OpenTelemetry's advice for db.client.operation.duration.
    private static readonly double[] DurationBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

    private readonly Meter? _meter;
    private readonly bool _ownsMeter;
    private readonly Histogram<double>? _duration;
    private readonly Counter<long>? _hits;
    private readonly Counter<long>? _misses;
    private readonly Counter<long>? _gcPasses;
    private readonly Counter<long>? _gcRemoved;

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

        _duration = _meter.CreateHistogram<double>(
            "db.client.operation.duration",
            "s",
            "Duration of Kv store operations.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _hits = _meter.CreateCounter<long>("kv.hits", "{lookup}", "Reads that found the key.");
        _misses = _meter.CreateCounter<long>("kv.misses", "{lookup}", "Reads that did not find the key (missing or expired).");
        _gcPasses = _meter.CreateCounter<long>("kv.gc.passes", "{pass}", "Expired-entry GC passes.");
        _gcRemoved = _meter.CreateCounter<long>("kv.gc.removed", "{entry}", "Expired entries removed by GC passes.");
    }

    // No meter and no instrument: the stores of an adaptor without metrics use it to trace when the source is listened to.
    private KvMetrics()
    {
    }

    /// <summary>Whether measurements and spans carry the <c>kv.namespace</c> attribute (<see cref="KvMetricsOptions.IncludeNamespace"/>).</summary>
    public bool IncludeNamespace { get; }

    /// <summary>The meter.</summary>
    public Meter Meter => _meter ?? throw new InvalidOperationException("This instance has no meter.");

    /// <summary>What the stores of an adaptor without metrics record on: nothing; they only trace.</summary>
    internal static KvMetrics None { get; } = new();

    // One check on the hot path of every store operation: is anything listening to the store instruments?
    internal bool OperationsEnabled =>
        (_duration?.Enabled ?? false) || (_hits?.Enabled ?? false) || (_misses?.Enabled ?? false);

    internal bool DurationEnabled => _duration?.Enabled ?? false;

    /// <summary>Records one pass of an expired-entry GC.</summary>
    /// <param name="adaptor">The adaptor whose entries were collected.</param>
    /// <param name="removed">How many entries the pass removed.</param>
    public void RecordGcPass(KvAdaptor adaptor, long removed)
    {
        ArgumentNullException.ThrowIfNull(adaptor);
        if (_gcPasses is not null && _gcRemoved is not null && (_gcPasses.Enabled || _gcRemoved.Enabled))
        {
            var tags = new TagList { { KvMetricTags.DbSystemName, adaptor.BackendName } };
            _gcPasses.Add(1, tags);
            _gcRemoved.Add(removed, tags);
        }
    }

    /// <summary>Disposes the meter when this instance created it (a factory's meters are disposed by the factory).</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter?.Dispose();
        }
    }

    internal void RecordOperation(KvMetricTags storeTags, string operation, long startTimestamp, TimeProvider clock, string? errorType)
    {
        if (startTimestamp == 0 || _duration is null || !_duration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { KvMetricTags.DbSystemName, storeTags.BackendName },
            { KvMetricTags.DbOperationName, operation },
        };
        if (errorType is not null)
        {
            tags.Add(KvMetricTags.ErrorType, errorType);
        }

        if (IncludeNamespace)
        {
            tags.Add(KvMetricTags.Namespace, storeTags.TopLevelNamespace);
        }

        _duration.Record(clock.GetElapsedTime(startTimestamp).TotalSeconds, tags);
    }

    internal void RecordLookup(KvMetricTags storeTags, string operation, long hits, long misses)
    {
        if (_hits is null || _misses is null || (!_hits.Enabled && !_misses.Enabled))
        {
            return;
        }

        var tags = new TagList
        {
            { KvMetricTags.DbSystemName, storeTags.BackendName },
            { KvMetricTags.DbOperationName, operation },
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
}
