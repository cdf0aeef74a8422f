using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Kv;

namespace WebApp.Services;

/// <summary>
/// Listens to this app's Kv meter and keeps running totals, for the <c>/metrics</c> endpoint. (A real deployment would
/// export the meter with OpenTelemetry or dotnet-counters; this shows what the meter reports without another package.)
/// </summary>
public sealed class KvMetricsSnapshot : IHostedService, IDisposable
{
    private readonly KvMetrics _metrics;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Total> _totals = new(StringComparer.Ordinal);

    public KvMetricsSnapshot(KvMetrics metrics)
    {
        _metrics = metrics;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // This app's meter only: other hosts in the same process (tests) have meters of their own.
            if (ReferenceEquals(instrument.Meter, _metrics.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
    }

    /// <summary>Every instrument and tag combination seen so far: the count of measurements and their sum.</summary>
    public IReadOnlyList<MetricPoint> Read() =>
        [.. _totals.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.Read())];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            sorted[tag.Key] = tag.Value?.ToString() ?? string.Empty;
        }

        string key = instrument.Name + "{" + string.Join(",", sorted.Select(t => t.Key + "=" + t.Value)) + "}";
        Total total = _totals.GetOrAdd(key, _ => new Total(instrument.Name, instrument.Unit, sorted));
        total.Add(value);
    }

    /// <summary>One instrument and tag combination.</summary>
    public sealed record MetricPoint(string Instrument, string? Unit, IReadOnlyDictionary<string, string> Tags, long Count, double Sum);

    private sealed class Total(string instrument, string? unit, IReadOnlyDictionary<string, string> tags)
    {
        private readonly Lock _gate = new();

        public string Instrument { get; } = instrument;

        public string? Unit { get; } = unit;

        public IReadOnlyDictionary<string, string> Tags { get; } = tags;

        private long _count;
        private double _sum;

        public void Add(double value)
        {
            lock (_gate)
            {
                _count++;
                _sum += value;
            }
        }

        public MetricPoint Read()
        {
            lock (_gate)
            {
                return new MetricPoint(Instrument, Unit, Tags, _count, _sum);
            }
        }
    }
}
