namespace Kv;

/// <summary>
/// The root of a key-value backend. An adaptor holds no keys of its own: every key lives in a
/// namespace taken from it with <see cref="Namespace(string)"/>.
/// </summary>
/// <remarks>
/// Adaptors are thread-safe and meant to be shared for the life of the application (register them
/// as singletons; <c>services.AddKv()</c> does).
/// </remarks>
public abstract class KvAdaptor
{
    /// <summary>Creates an adaptor.</summary>
    /// <param name="metrics">The metrics its stores record (see <see cref="KvMetrics"/>), or <see langword="null"/> for
    /// none. The backends' <c>Use…</c> registrations pass the <see cref="KvMetrics"/> of dependency injection.</param>
    protected KvAdaptor(KvMetrics? metrics = null) => Metrics = metrics;

    /// <summary>Returns the store of the top-level namespace <paramref name="name"/>.</summary>
    /// <param name="name">The namespace name. It follows the key rules and may not contain
    /// <see cref="KvKeyLayout.NamespaceSeparator"/>.</param>
    /// <returns>A store whose keys are isolated from every other namespace.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KvException">The name is empty or whitespace (<see cref="KvErrorCode.EmptyNamespace"/>) or
    /// otherwise invalid (<see cref="KvErrorCode.InvalidNamespace"/>).</exception>
    public abstract IKvStore Namespace(string name);
    /// <summary>
    /// Removes expired entries now, on demand. Expired entries are invisible to every read as soon as they expire;
    /// this frees what they still hold (on memory, the entries themselves; on SQLite, their rows). On Redis the server
    /// frees expired keys itself and nothing is kept beside them, so it returns 0 there.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many expired entries were removed.</returns>
    public abstract ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// How often the hosted GC service of <c>services.AddKv()</c> calls <see cref="CollectExpiredAsync"/> on this
    /// adaptor, or <see langword="null"/> (the default) when the backend frees expired entries itself and needs no
    /// periodic pass. The memory and SQLite backends return their <c>GcInterval</c> option.
    /// </summary>
    public virtual TimeSpan? CollectionInterval => null;

    /// <summary>
    /// The metrics this adaptor's stores record (see <see cref="KvMetrics"/>), or <see langword="null"/> for none: what
    /// the constructor was given. <c>services.AddKv()</c> passes the registered <see cref="KvMetrics"/>; pass your own
    /// to an adaptor you construct.
    /// </summary>
    public KvMetrics? Metrics { get; }

    /// <summary>
    /// The backend's name, used as the <c>db.system.name</c> attribute of metrics and spans and in health reports: by
    /// default the adaptor's type name without a trailing <c>Kv</c>, in lower case (<c>MemoryKv</c> is <c>memory</c>,
    /// <c>RedisKv</c> is <c>redis</c>, <c>SqliteKv</c> is <c>sqlite</c>: OpenTelemetry's well-known values where one exists).
    /// </summary>
    public virtual string BackendName
    {
        get
        {
            string name = GetType().Name;
            if (name.Length > 2 && name.EndsWith("Kv", StringComparison.Ordinal))
            {
                name = name[..^2];
            }

            return name.ToLowerInvariant();
        }
    }

    /// <summary>
    /// Whether every operation of this adaptor's stores completes synchronously (an in-process backend). Code that
    /// must stay synchronous (the synchronous methods of <c>IDistributedCache</c>) may use such stores without
    /// blocking a thread on I/O; on any other backend it must use the asynchronous methods.
    /// </summary>
    public virtual bool CompletesSynchronously => false;

    /// <summary>
    /// Checks that the backend answers: one round trip (a <c>PING</c> on Redis). The default reads a key that does
    /// not exist in the namespace <c>kv-health</c>; an in-process backend has nothing to reach and returns at once.
    /// Used by the Kv health check.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the backend answered.</returns>
    /// <exception cref="KvException">The backend failed (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    public virtual async ValueTask PingAsync(CancellationToken cancellationToken = default) =>
        await Namespace("kv-health").ExistsAsync("ping", cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads the backend's configuration and returns each setting under which it cannot keep Kv's contract (on Redis,
    /// a <c>maxmemory-policy</c> other than <c>noeviction</c>), one sentence each; empty (the default) when there is
    /// none. The Kv health check reports Degraded with them.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The problems found.</returns>
    /// <exception cref="KvException">The backend failed (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    public virtual ValueTask<IReadOnlyList<string>> CheckConfigurationAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<string>>([]);
}
