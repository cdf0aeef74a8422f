using System.Diagnostics;

namespace Kv;

/// <summary>
/// Kv's traces: the <see cref="ActivitySource"/> <see cref="ActivitySourceName"/> (<c>"Kv"</c>, like the meter) starts
/// one span per store operation, of kind <see cref="ActivityKind.Client"/>, named after the operation (<c>get</c>,
/// <c>set</c>, <c>commit</c>...). Subscribe with OpenTelemetry's <c>.AddSource("Kv")</c> or an <see cref="ActivityListener"/>.
/// </summary>
/// <remarks>
/// Attributes: <c>db.system.name</c> (the backend), <c>db.operation.name</c> (the operation), on failure
/// <c>error.type</c> and the status <see cref="ActivityStatusCode.Error"/>; <c>kv.namespace</c> (the top-level namespace)
/// only with <see cref="KvMetricsOptions.IncludeNamespace"/>. A span never carries a key, a value, a lock name, a
/// partition key or an exception message. With no listener on the source, an operation checks it once and allocates
/// nothing.
/// </remarks>
public static class KvTracing
{
    /// <summary>The activity source's name.</summary>
    public const string ActivitySourceName = "Kv";

    internal static ActivitySource Source { get; } =
        new(ActivitySourceName, typeof(KvTracing).Assembly.GetName().Version?.ToString());
}
