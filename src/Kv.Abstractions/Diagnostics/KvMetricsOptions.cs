namespace Kv;

/// <summary>Options of <see cref="KvMetrics"/>, bound from the configuration section <c>Kv:Metrics</c>.</summary>
public sealed class KvMetricsOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Kv:Metrics";

    /// <summary>
    /// Whether measurements carry the <c>kv.namespace</c> tag: the top-level namespace of the store (<c>sessions</c>
    /// for <c>sessions:admin</c>). Off by default: a tag's every value is a separate time series, so turn it on only
    /// when the application's top-level namespaces are few and fixed (never per user or per tenant).
    /// </summary>
    public bool IncludeNamespace { get; set; }
}
