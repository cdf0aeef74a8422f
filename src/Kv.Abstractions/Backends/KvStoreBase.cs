using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kv;

/// <summary>
/// The base of every backend's store. Its public methods check arguments and encode values, the same way on
/// every backend, before any I/O; then they call a <c>…CoreAsync</c> method that the backend implements on
/// already-valid keys, TTLs and payloads.
/// </summary>
/// <remarks>
/// For backend authors. A core method receives the key as the user gave it (already validated); the backend
/// maps it to a physical key with <see cref="KvKeyLayout.Compose(string, string)"/> or keeps namespaces apart
/// in its own way. TTLs arrive validated and rounded up to the millisecond.
/// </remarks>
public abstract partial class KvStoreBase : IAtomicKvStore
{
    /// <summary>Creates the store of a namespace.</summary>
    /// <param name="adaptor">The adaptor the store belongs to: its identity (stores of the same adaptor object share
    /// their data, and a transaction may span them), its <see cref="KvAdaptor.Metrics"/> (recorded by every operation)
    /// and its <see cref="KvAdaptor.BackendName"/> (the <c>kv.backend</c> tag). Views of one backend (another serializer)
    /// pass the backend's own adaptor.</param>
    /// <param name="namespacePath">The namespace path (see <see cref="KvKeyLayout"/>).</param>
    /// <param name="serializer">The value serializer.</param>
    /// <param name="timeProvider">The application's clock: absolute expiry times are turned into TTLs on it.</param>
    protected KvStoreBase(KvAdaptor adaptor, string namespacePath, KvValueSerializer serializer, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(adaptor);
        ArgumentNullException.ThrowIfNull(namespacePath);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Adaptor = adaptor;
        _metrics = adaptor.Metrics;
        NamespacePath = namespacePath;
        Serializer = serializer;
        TimeProvider = timeProvider;
    }

    // Whether the backend completes every operation synchronously (KvAdaptor.CompletesSynchronously), asked once:
    // 0 not yet asked, 1 yes, 2 no.
    private int _readsSynchronously;

    /// <summary>The path of this store's namespace, e.g. <c>sessions:admin</c>.</summary>
    public string NamespacePath { get; }

    /// <summary>The value serializer.</summary>
    protected KvValueSerializer Serializer { get; }

    /// <inheritdoc />
    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// The adaptor this store belongs to (given to the constructor): stores whose <see cref="Adaptor"/> is the same
    /// object share their data, and a transaction may span them.
    /// </summary>
    protected KvAdaptor Adaptor { get; }

    /// <inheritdoc />
    public IAtomicKvStore Namespace(string name) => CreateChild(KvKeyLayout.ChildPath(NamespacePath, name));

    IKvStore IKvStore.Namespace(string name) => Namespace(name);

    /// <inheritdoc />
    public ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        KvMetrics? metrics = EnabledMetrics;

        // A backend that completes every operation synchronously is read through its synchronous core: no task to
        // wrap the value in and unwrap again.
        if (metrics is null && ReadsSynchronously)
        {
            KvValue stored;
            try
            {
                stored = GetCore(key, includeDetails: false);
            }
            catch (Exception ex)
            {
                // A core's failure is reported through the task, as on every other path.
                return ValueTask.FromException<T?>(ex);
            }

            KvException? failure = Serializer.TryDeserialize(stored, out T? found);
            return failure is null ? new ValueTask<T?>(found) : ValueTask.FromException<T?>(failure);
        }

        ValueTask<KvValue> read = metrics is null
            ? Read(key, includeDetails: false, cancellationToken)
            : MeasureRead(metrics, KvOperationNames.Get, key, includeDetails: false, cancellationToken);

        // An in-process backend completes synchronously: decode without an async state machine.
        // (.Result on a ValueTask that has completed successfully does not block.)
        if (!read.IsCompletedSuccessfully)
        {
            return AwaitGetAsync<T>(read, typeInfo: null);
        }

        // A value that cannot be read is reported through the task, as when the read completes later.
        KvException? error = Serializer.TryDeserialize(read.Result, out T? value);
        return error is null ? new ValueTask<T?>(value) : ValueTask.FromException<T?>(error);
    }

    /// <inheritdoc />
    public ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        cancellationToken.ThrowIfCancellationRequested();
        return AwaitGetAsync(ReadMeasured(KvOperationNames.Get, key, includeDetails: false, cancellationToken), typeInfo);
    }

    /// <inheritdoc />
    public ValueTask<KvEntry<T>?> GetEntryAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        return AwaitEntryAsync<T>(ReadMeasured(KvOperationNames.GetEntry, key, includeDetails: true, cancellationToken), typeInfo: null);
    }

    /// <inheritdoc />
    public ValueTask<KvEntry<T>?> GetEntryAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        cancellationToken.ThrowIfCancellationRequested();
        return AwaitEntryAsync(ReadMeasured(KvOperationNames.GetEntry, key, includeDetails: true, cancellationToken), typeInfo);
    }

    /// <inheritdoc />
    public ValueTask SetAsync<T>(string key, T value, KvSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Strings, the most common value, take a path compiled for them alone: the shared generic body that reference
        // types run looks their type up at run time at every step of the encoding.
        if (typeof(T) == typeof(string))
        {
            return SetStringAsync(key, Unsafe.As<T, string?>(ref value), options, cancellationToken);
        }

        ValidateKey(key);
        TimeSpan? ttl = NormalizeTtl(options);
        cancellationToken.ThrowIfCancellationRequested();
        return SetMeasuredAsync(key, Encode(value, options), ttl, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SetAsync(string key, string? value, KvSetOptions? options = null, CancellationToken cancellationToken = default) =>
        SetStringAsync(key, value, options, cancellationToken);

    private ValueTask SetStringAsync(string key, string? value, KvSetOptions? options, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        TimeSpan? ttl = NormalizeTtl(options);
        cancellationToken.ThrowIfCancellationRequested();
        KvValue encoded = Serializer.SerializeString(value);
        if (EncodeMetadata(options) is { } metadata)
        {
            encoded = encoded.WithMetadata(metadata);
        }

        return SetMeasuredAsync(key, encoded, ttl, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, KvSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        TimeSpan? ttl = NormalizeTtl(options);
        cancellationToken.ThrowIfCancellationRequested();
        return SetMeasuredAsync(key, Encode(value, typeInfo, options), ttl, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.Delete, static (s, k, ct) => s.DeleteCoreAsync(k, ct), key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.Exists, static (s, k, ct) => s.ExistsCoreAsync(k, ct), key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> ExpireAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        TimeSpan normalized = KvTtl.Normalize(ttl);
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.Expire, static (s, a, ct) => s.ExpireCoreAsync(a.key, a.normalized, ct), (key, normalized), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> IncrementAsync(string key, long by = 1, KvSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        TimeSpan? ttl = NormalizeTtl(options);
        byte[]? metadata = EncodeMetadata(options);
        cancellationToken.ThrowIfCancellationRequested();
        if (EnabledMetrics is { } metrics)
        {
            return Measure(metrics, KvOperationNames.Increment, static (s, a, ct) => s.IncrementCoreAsync(a.key, a.by, a.ttl, a.metadata, ct), (key, by, ttl, metadata), cancellationToken);
        }

        // Unmeasured: the core directly, without a delegate and its state.
        try
        {
            return IncrementCoreAsync(key, by, ttl, metadata, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<long>(ex);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SetIfNotExistsAsync<T>(string key, T value, KvSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        TimeSpan? ttl = NormalizeTtl(options);
        cancellationToken.ThrowIfCancellationRequested();
        return SetIfNotExistsMeasuredAsync(key, Encode(value, options), ttl, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> SetIfNotExistsAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, KvSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        TimeSpan? ttl = NormalizeTtl(options);
        cancellationToken.ThrowIfCancellationRequested();
        return SetIfNotExistsMeasuredAsync(key, Encode(value, typeInfo, options), ttl, cancellationToken);
    }

    /// <summary>Creates the store of a child namespace.</summary>
    /// <param name="namespacePath">The child's path, already validated.</param>
    /// <returns>The child's store.</returns>
    protected abstract IAtomicKvStore CreateChild(string namespacePath);

    /// <summary>Reads a key. A missing or expired key is <see cref="KvValue.Missing"/>.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="includeDetails">Whether the caller needs <see cref="KvValue.ExpiresAt"/>, <see cref="KvValue.Metadata"/>
    /// and <see cref="KvValue.Version"/>; when <see langword="false"/> the backend may leave them out.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored value.</returns>
    protected abstract ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken);

    /// <summary>Stores a value, replacing any earlier one (and its metadata); without a TTL the entry is permanent.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="value">The encoded value, with its metadata.</param>
    /// <param name="ttl">The validated TTL, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the value is stored.</returns>
    protected abstract ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken);

    /// <summary>Stores a value only when the key is missing or expired, atomically with its TTL.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="value">The encoded value.</param>
    /// <param name="ttl">The validated TTL, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the value was stored.</returns>
    protected abstract ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken);

    /// <summary>Deletes a key.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether a live entry was deleted.</returns>
    protected abstract ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken);

    /// <summary>Tells whether a key holds a live entry.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the key exists.</returns>
    protected abstract ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken);

    /// <summary>Sets the TTL of a live entry.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="ttl">The validated TTL.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the key existed.</returns>
    protected abstract ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Adds to an integer atomically; creates a missing key with <paramref name="by"/> and <paramref name="ttl"/>.
    /// Throws <see cref="KvErrorCode.NotNumeric"/> or <see cref="KvErrorCode.Overflow"/> without changing anything.
    /// </summary>
    /// <param name="key">The validated key.</param>
    /// <param name="by">The amount to add.</param>
    /// <param name="ttl">The TTL of a created key, or <see langword="null"/>.</param>
    /// <param name="metadata">The metadata of a created key, or <see langword="null"/>; an existing key keeps its own.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new value.</returns>
    protected abstract ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken);

    /// <summary>The exception for an increment on a value that is not a 64-bit integer.</summary>
    /// <returns>A <see cref="KvErrorCode.NotNumeric"/> exception.</returns>
    protected static KvException NotNumeric() =>
        new(KvErrorCode.NotNumeric, "The stored value is not a 64-bit integer and cannot be incremented.");

    /// <summary>The exception for an increment that would overflow.</summary>
    /// <returns>An <see cref="KvErrorCode.Overflow"/> exception.</returns>
    protected static KvException Overflow() =>
        new(KvErrorCode.Overflow, "The increment would overflow a 64-bit integer.");

    /// <summary>
    /// The exception for a store that failed: wrap what the backend's client threw (an I/O error, a timeout, a
    /// database error) so that callers see one <see cref="KvErrorCode.StoreOperationFailed"/>, with the cause inside.
    /// Never put key names or values in <paramref name="message"/>: logs may not carry them.
    /// </summary>
    /// <param name="message">What failed, e.g. "The Redis command timed out."</param>
    /// <param name="innerException">The client's exception, or <see langword="null"/>.</param>
    /// <returns>A <see cref="KvErrorCode.StoreOperationFailed"/> exception.</returns>
    protected static KvException StoreFailed(string message, Exception? innerException = null) =>
        new(KvErrorCode.StoreOperationFailed, message, innerException);

    /// <summary>Whether the adaptor completes every operation synchronously (<see cref="KvAdaptor.CompletesSynchronously"/>), asked once.</summary>
    private bool ReadsSynchronously
    {
        get
        {
            int mode = _readsSynchronously;
            if (mode == 0)
            {
                mode = Adaptor.CompletesSynchronously ? 1 : 2;
                _readsSynchronously = mode;
            }

            return mode == 1;
        }
    }

    /// <summary>
    /// Validates a key with <see cref="KvKeyRules"/>, after a fast check of the common shape: non-empty, at most
    /// <see cref="KvKeyRules.MaxKeyLength"/> characters, all printable ASCII (one vectorized pass), and not
    /// starting with <see cref="KvKeyRules.ReservedPrefix"/>. Such a key is valid under every rule, so point
    /// operations skip the per-character rule loop; any other key, valid or not, goes to the full rules,
    /// which also give the error.
    /// </summary>
    private static void ValidateKey(string key)
    {
        if (key is null
            || key.Length is 0 or > KvKeyRules.MaxKeyLength
            || key.AsSpan().ContainsAnyExceptInRange(' ', '~')
            || key.StartsWith(KvKeyRules.ReservedPrefix, StringComparison.Ordinal))
        {
            KvKeyRules.ValidateKey(key!);
        }
    }

    // A core that throws instead of returning a faulted task: the exception goes into the returned task, as when the
    // core fails later, so callers see one failure path.
    /// <summary>A read of the core, measured and traced when something listens.</summary>
    private ValueTask<KvValue> ReadMeasured(string operation, string key, bool includeDetails, CancellationToken cancellationToken)
    {
        KvMetrics? metrics = EnabledMetrics;
        return metrics is null
            ? Read(key, includeDetails, cancellationToken)
            : MeasureRead(metrics, operation, key, includeDetails, cancellationToken);
    }

    private ValueTask<KvValue> Read(string key, bool includeDetails, CancellationToken cancellationToken)
    {
        try
        {
            return GetCoreAsync(key, includeDetails, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<KvValue>(ex);
        }
    }

    private ValueTask<TResult> Invoke<TState, TResult>(Func<KvStoreBase, TState, CancellationToken, ValueTask<TResult>> core, TState state, CancellationToken cancellationToken)
    {
        try
        {
            return core(this, state, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<TResult>(ex);
        }
    }

    private ValueTask Invoke<TState>(Func<KvStoreBase, TState, CancellationToken, ValueTask> core, TState state, CancellationToken cancellationToken)
    {
        try
        {
            return core(this, state, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    // Records the operation in the Kv metrics when something listens; otherwise calls the core directly.
    private ValueTask<TResult> Instrumented<TState, TResult>(
        string operation, Func<KvStoreBase, TState, CancellationToken, ValueTask<TResult>> core, TState state, CancellationToken cancellationToken) =>
        EnabledMetrics is { } metrics ? Measure(metrics, operation, core, state, cancellationToken) : Invoke(core, state, cancellationToken);

    private ValueTask Instrumented<TState>(
        string operation, Func<KvStoreBase, TState, CancellationToken, ValueTask> core, TState state, CancellationToken cancellationToken) =>
        EnabledMetrics is { } metrics ? Measure(metrics, operation, core, state, cancellationToken) : Invoke(core, state, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T?> AwaitGetAsync<T>(ValueTask<KvValue> read, JsonTypeInfo<T>? typeInfo)
    {
        KvValue value = await read.ConfigureAwait(false);
        return typeInfo is null ? Serializer.Deserialize<T>(value) : Serializer.Deserialize(value, typeInfo);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<KvEntry<T>?> AwaitEntryAsync<T>(ValueTask<KvValue> read, JsonTypeInfo<T>? typeInfo)
    {
        KvValue value = await read.ConfigureAwait(false);
        if (!value.HasValue)
        {
            return null;
        }

        T? decoded = typeInfo is null ? Serializer.Deserialize<T>(value) : Serializer.Deserialize(value, typeInfo);
        return new KvEntry<T>(decoded, value.ExpiresAt, ParseMetadata(value.Metadata), value.Version);
    }
}
