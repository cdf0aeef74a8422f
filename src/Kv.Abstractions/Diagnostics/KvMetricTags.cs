namespace Kv;

/// <summary>
/// The attribute names of Kv's instruments and spans, and one store's values (computed once per store). Names follow
/// OpenTelemetry's semantic conventions for database clients where one applies (<c>db.*</c>, <c>error.type</c>);
/// <c>kv.namespace</c> has no convention.
/// </summary>
internal sealed class KvMetricTags(string backendName, string topLevelNamespace)
{
    public const string DbSystemName = "db.system.name";
    public const string DbOperationName = "db.operation.name";
    public const string ErrorType = "error.type";
    public const string Namespace = "kv.namespace";

    /// <summary>The <c>db.system.name</c> value: the adaptor's <see cref="KvAdaptor.BackendName"/>.</summary>
    public string BackendName { get; } = backendName;

    /// <summary>The first segment of the namespace path: bounded by the application's top-level namespaces.</summary>
    public string TopLevelNamespace { get; } = topLevelNamespace;

    /// <summary>
    /// The <c>error.type</c> of a failure: the <see cref="KvErrorCode"/> of a <see cref="KvException"/> (Kv's own
    /// client-library code), else the exception's full type name, as the conventions ask. Never a message (messages may
    /// name keys).
    /// </summary>
    public static string ErrorTypeOf(Exception error) =>
        error is KvException kv ? kv.Code.ToString() : error.GetType().FullName ?? error.GetType().Name;
}
