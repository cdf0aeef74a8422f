using System.Text.Json.Serialization.Metadata;

namespace Kv;

/// <summary>
/// A set of writes, across namespaces of one adaptor, committed atomically: all of them or none. Optional checks make
/// the commit conditional on keys still holding the versions they had when read (optimistic concurrency).
/// </summary>
/// <remarks>
/// <para>Create one with <see cref="IAtomicKvStore.CreateTransaction"/>, add checks and writes, then call
/// <see cref="CommitAsync"/> once. Operations apply in the order they were added, so an increment after a set of
/// the same key adds to the value just set. Arguments are validated and values encoded as they are added.</para>
/// <para>A commit whose checks all hold applies everything; one whose check fails applies nothing and returns
/// <see cref="KvCommitResult.Applied"/> = <see langword="false"/>. An increment that meets a non-integer
/// (<see cref="KvErrorCode.NotNumeric"/>) or would overflow (<see cref="KvErrorCode.Overflow"/>) fails the whole commit
/// and nothing changes. On Redis Cluster, all keys must be under one top-level namespace
/// (<see cref="KvErrorCode.CrossSlot"/> otherwise).</para>
/// <para>Not thread-safe: build a transaction on one thread.</para>
/// </remarks>
public sealed class KvTransaction
{
    private readonly KvStoreBase _origin;
    private readonly List<KvTransactionOperation> _operations = [];
    private bool _committed;

    internal KvTransaction(KvStoreBase origin)
    {
        _origin = origin;
    }

    /// <summary>The operations added so far, in order.</summary>
    public IReadOnlyList<KvTransactionOperation> Operations => _operations;

    /// <summary>Makes the commit conditional: <paramref name="key"/> must hold the entry of version
    /// <paramref name="version"/> (from <see cref="KvEntry{T}.Version"/>), or be missing when it is <see langword="null"/>.</summary>
    /// <param name="store">The key's store; from the same adaptor as the transaction's.</param>
    /// <param name="key">The key.</param>
    /// <param name="version">The expected version, or <see langword="null"/> for "does not exist".</param>
    /// <returns>This transaction.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the version is not positive, or the
    /// store is of another adaptor; <see cref="KvErrorCode.InvalidKey"/>: the key is invalid.</exception>
    /// <exception cref="InvalidOperationException">The transaction was committed already.</exception>
    public KvTransaction Check(IKvStore store, string key, long? version)
    {
        if (version is <= 0)
        {
            throw new KvException(KvErrorCode.InvalidArgument, "A checked version is positive; pass null to require that the key does not exist.");
        }

        return Add(store, key, static (s, k, v) => KvTransactionOperation.CreateCheck(s.NamespacePath, k, v), version);
    }

    /// <summary>Stores a value (as <see cref="IKvStore.SetAsync{T}(string, T, KvSetOptions?, CancellationToken)"/>).</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="store">The key's store; from the same adaptor as the transaction's.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">TTL and metadata.</param>
    /// <returns>This transaction.</returns>
    public KvTransaction Set<T>(IKvStore store, string key, T value, KvSetOptions? options = null)
    {
        KvStoreBase target = Resolve(store);
        KvKeyRules.ValidateKey(key);
        TimeSpan? ttl = target.NormalizeTtl(options);
        KvValue encoded = target.Encode(value, options);
        return Append(KvTransactionOperation.CreateSet(target.NamespacePath, key, encoded, ttl));
    }

    /// <summary>Stores a value with source-generated serialization metadata.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="store">The key's store.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">The value's serialization metadata.</param>
    /// <param name="options">TTL and metadata.</param>
    /// <returns>This transaction.</returns>
    public KvTransaction Set<T>(IKvStore store, string key, T value, JsonTypeInfo<T> typeInfo, KvSetOptions? options = null)
    {
        KvStoreBase target = Resolve(store);
        KvKeyRules.ValidateKey(key);
        ArgumentNullException.ThrowIfNull(typeInfo);
        TimeSpan? ttl = target.NormalizeTtl(options);
        KvValue encoded = target.Encode(value, typeInfo, options);
        return Append(KvTransactionOperation.CreateSet(target.NamespacePath, key, encoded, ttl));
    }

    /// <summary>Deletes a key (a missing key is not an error).</summary>
    /// <param name="store">The key's store.</param>
    /// <param name="key">The key.</param>
    /// <returns>This transaction.</returns>
    public KvTransaction Delete(IKvStore store, string key) =>
        Add(store, key, static (s, k, _) => KvTransactionOperation.CreateDelete(s.NamespacePath, k), null);

    /// <summary>Adds to an integer (as <see cref="IAtomicKvStore.IncrementAsync"/>: a missing key is created with
    /// <paramref name="by"/> and the options' TTL; an existing one keeps its TTL).</summary>
    /// <param name="store">The key's store.</param>
    /// <param name="key">The key.</param>
    /// <param name="by">The amount to add; negative decrements.</param>
    /// <param name="options">The TTL and metadata of a created key.</param>
    /// <returns>This transaction.</returns>
    public KvTransaction Increment(IKvStore store, string key, long by = 1, KvSetOptions? options = null)
    {
        KvStoreBase target = Resolve(store);
        KvKeyRules.ValidateKey(key);
        TimeSpan? ttl = target.NormalizeTtl(options);
        byte[]? metadata = target.EncodeMetadata(options);
        return Append(KvTransactionOperation.CreateIncrement(target.NamespacePath, key, by, ttl, metadata));
    }

    /// <summary>Commits: applies every write if every check holds, atomically; otherwise applies nothing.</summary>
    /// <param name="cancellationToken">Cancels the commit (a commit already sent may still apply).</param>
    /// <returns>Whether it applied, and the version its writes got.</returns>
    /// <exception cref="InvalidOperationException">The transaction was committed already.</exception>
    /// <exception cref="KvException">An increment failed (<see cref="KvErrorCode.NotNumeric"/>,
    /// <see cref="KvErrorCode.Overflow"/>), the keys span Redis Cluster slots (<see cref="KvErrorCode.CrossSlot"/>), or the
    /// store failed. Nothing changed, except possibly for <see cref="KvErrorCode.StoreOperationFailed"/>.</exception>
    public ValueTask<KvCommitResult> CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_committed)
        {
            throw new InvalidOperationException("A transaction can be committed once.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _committed = true;
        return _origin.CommitTransactionAsync(_operations, cancellationToken);
    }

    private KvTransaction Add(IKvStore store, string key, Func<KvStoreBase, string, long?, KvTransactionOperation> create, long? version)
    {
        KvStoreBase target = Resolve(store);
        KvKeyRules.ValidateKey(key);
        return Append(create(target, key, version));
    }

    private KvTransaction Append(KvTransactionOperation operation)
    {
        if (_committed)
        {
            throw new InvalidOperationException("The transaction was committed already.");
        }

        _operations.Add(operation);
        return this;
    }

    private KvStoreBase Resolve(IKvStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store is not KvStoreBase target || !_origin.SharesBackendWith(target))
        {
            throw new KvException(KvErrorCode.InvalidArgument, "A transaction takes stores of the adaptor it was created from.");
        }

        return target;
    }
}
