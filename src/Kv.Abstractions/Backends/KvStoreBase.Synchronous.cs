namespace Kv;

// The synchronous point operations (IKvSynchronousStore): the same validation, encoding and metrics as the
// asynchronous methods, on synchronous cores that each backend implements with its client's synchronous calls.
public abstract partial class KvStoreBase : IKvSynchronousStore
{
    /// <inheritdoc />
    public IKvSynchronousStore Synchronous => this;

    T? IKvSynchronousStore.Get<T>(string key) where T : default
    {
        ValidateKey(key);
        return Serializer.Deserialize<T>(ReadSync(KvOperationNames.Get, key, includeDetails: false));
    }

    KvEntry<T>? IKvSynchronousStore.GetEntry<T>(string key)
    {
        ValidateKey(key);
        KvValue value = ReadSync(KvOperationNames.GetEntry, key, includeDetails: true);
        return value.HasValue
            ? new KvEntry<T>(Serializer.Deserialize<T>(value), value.ExpiresAt, ParseMetadata(value.Metadata), value.Version)
            : null;
    }

    void IKvSynchronousStore.Set<T>(string key, T value, KvSetOptions? options)
    {
        ValidateKey(key);
        TimeSpan? ttl = NormalizeTtl(options);
        KvValue encoded = Encode(value, options);
        MeasureSync(
            KvOperationNames.Set,
            static (s, a) =>
            {
                s.SetCore(a.key, a.encoded, a.ttl);
                return true;
            },
            (key, encoded, ttl));
    }

    bool IKvSynchronousStore.Delete(string key)
    {
        ValidateKey(key);
        return MeasureSync(KvOperationNames.Delete, static (s, k) => s.DeleteCore(k), key);
    }

    bool IKvSynchronousStore.Expire(string key, TimeSpan ttl)
    {
        ValidateKey(key);
        TimeSpan normalized = KvTtl.Normalize(ttl);
        return MeasureSync(KvOperationNames.Expire, static (s, a) => s.ExpireCore(a.key, a.normalized), (key, normalized));
    }

    KvListResult IKvSynchronousStore.List(KvListQuery query)
    {
        KvListRequest request = ToRequest(query, forCount: false);
        return ToPage(MeasureSync(KvOperationNames.List, static (s, r) => s.ListCore(r), request), query.Limit);
    }

    /// <summary>Reads a key synchronously; the counterpart of <see cref="GetCoreAsync(string, bool, CancellationToken)"/>.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="includeDetails">As for <see cref="GetCoreAsync(string, bool, CancellationToken)"/>.</param>
    /// <returns>The stored value; <see cref="KvValue.Missing"/> for a missing or expired key.</returns>
    /// <remarks>Implement it with the client's own synchronous calls: never block on an asynchronous operation.</remarks>
    protected abstract KvValue GetCore(string key, bool includeDetails);

    /// <summary>Stores a value synchronously; the counterpart of <see cref="SetCoreAsync(string, KvValue, TimeSpan?, CancellationToken)"/>.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="value">The encoded value, with its metadata.</param>
    /// <param name="ttl">The validated TTL, or <see langword="null"/>.</param>
    /// <remarks>Implement it with the client's own synchronous calls: never block on an asynchronous operation.</remarks>
    protected abstract void SetCore(string key, KvValue value, TimeSpan? ttl);

    /// <summary>Deletes a key synchronously; the counterpart of <see cref="DeleteCoreAsync(string, CancellationToken)"/>.</summary>
    /// <param name="key">The validated key.</param>
    /// <returns>Whether a live entry was deleted.</returns>
    /// <remarks>Implement it with the client's own synchronous calls: never block on an asynchronous operation.</remarks>
    protected abstract bool DeleteCore(string key);

    /// <summary>Sets the TTL of a live entry synchronously; the counterpart of <see cref="ExpireCoreAsync(string, TimeSpan, CancellationToken)"/>.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="ttl">The validated TTL.</param>
    /// <returns>Whether the key existed.</returns>
    /// <remarks>Implement it with the client's own synchronous calls: never block on an asynchronous operation.</remarks>
    protected abstract bool ExpireCore(string key, TimeSpan ttl);

    /// <summary>Lists keys synchronously; the counterpart of <see cref="ListCoreAsync(KvListRequest, CancellationToken)"/>.</summary>
    /// <param name="request">The validated request: prefix, pattern, bounds and limit.</param>
    /// <returns>Up to <see cref="KvListRequest.Limit"/> live matching keys in <see cref="KvKeyComparer"/> order.</returns>
    /// <remarks>Implement it with the client's own synchronous calls: never block on an asynchronous operation.</remarks>
    protected abstract IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request);
}
