namespace Kv;

/// <summary>The tag names of <see cref="KvMetrics"/>, and one store's tag values (computed once per store).</summary>
internal sealed class KvMetricTags(string backendName, string topLevelNamespace)
{
    public const string Backend = "kv.backend";
    public const string Operation = "kv.operation";
    public const string Result = "kv.result";
    public const string Namespace = "kv.namespace";
    public const string ErrorType = "error.type";
    public const string RateLimitAlgorithm = "kv.ratelimit.algorithm";

    public static KvMetricTags Unknown { get; } = new("unknown", "unknown");

    public string BackendName { get; } = backendName;

    /// <summary>The first segment of the namespace path: bounded by the application's top-level namespaces.</summary>
    public string TopLevelNamespace { get; } = topLevelNamespace;
}
