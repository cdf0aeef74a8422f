using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A test double of "a backend written on the public API": a third-party <see cref="KvStoreBase"/> whose every
/// <c>…CoreAsync</c> delegates to another store (here a <see cref="MemoryKv"/>) through its public
/// <see cref="IAtomicKvStore"/> API only, and which does NOT implement the rate-limit capability
/// (<c>Kv.RateLimiting.IKvRateLimitStore</c>), so the limiters' portable decisions of Kv.AspNetCore run on it.
/// </summary>
/// <remarks>
/// <para>Payloads pass through untouched: a JSON payload is written as a raw JSON value (see <see cref="RawJson"/>)
/// and read back as the exact bytes the wrapped store holds
/// (<see cref="JsonMarshal.GetRawUtf8Value"/>); a raw <see cref="byte"/> array payload is stored as the
/// <see cref="byte"/> array it encodes. Metadata goes the same way. Integers therefore stay JSON integers in the
/// wrapped store, whose atomic <see cref="IAtomicKvStore.IncrementAsync"/> then serves increments.</para>
/// <para>The public API rejects Kv's reserved keys (<c>__…</c>); the base never sends one to these cores, but the
/// double keeps them apart all the same: namespace path <c>a:b</c> maps to <c>data:a:b</c> in the wrapped store and a reserved key
/// <c>__x</c> of it to key <c>x</c> of <c>reserved:a:b</c>. Multi-key cores only ever receive user keys (the public
/// API validated them); a transaction's operations are mapped one by one.</para>
/// <para>Every delegated call completes synchronously (the wrapped store is in process), but the double does not say
/// so: like a remote backend it leaves <see cref="KvAdaptor.CompletesSynchronously"/> at <see langword="false"/>.</para>
/// </remarks>
public sealed class PortableKvAdaptor : AtomicKvAdaptor
{
    private readonly MemoryKv _inner;
    private readonly TimeProvider _timeProvider;
    private readonly KvValueSerializer _serializer;
    private readonly IAtomicKvStore _dataRoot;
    private readonly IAtomicKvStore _reservedRoot;
    private readonly ConcurrentDictionary<string, (IAtomicKvStore Data, IAtomicKvStore Reserved)> _paths = new(StringComparer.Ordinal);

    /// <summary>Wraps <paramref name="inner"/>; give it the clock <paramref name="inner"/> runs on.</summary>
    public PortableKvAdaptor(MemoryKv inner, TimeProvider timeProvider, KvValueSerializer? serializer = null)
    {
        _inner = inner;
        _timeProvider = timeProvider;
        _serializer = serializer ?? KvValueSerializer.Default;
        _dataRoot = inner.Namespace("data");
        _reservedRoot = inner.Namespace("reserved");
    }

    public override IAtomicKvStore Namespace(string name) => new PortableKvStore(this, KvKeyLayout.ChildPath(null, name));

    public override ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default) =>
        _inner.CollectExpiredAsync(cancellationToken);

    private (IAtomicKvStore Data, IAtomicKvStore Reserved) Resolve(string namespacePath) =>
        _paths.GetOrAdd(namespacePath, static (path, roots) =>
        {
            IAtomicKvStore data = roots.Data;
            IAtomicKvStore reserved = roots.Reserved;
            foreach (string name in path.Split(KvKeyLayout.NamespaceSeparator))
            {
                data = data.Namespace(name);
                reserved = reserved.Namespace(name);
            }

            return (data, reserved);
        }, (Data: _dataRoot, Reserved: _reservedRoot));

    // The wrapped store and key that hold a key of a namespace.
    private (IAtomicKvStore Store, string Key) Map(string namespacePath, string key)
    {
        (IAtomicKvStore data, IAtomicKvStore reserved) = Resolve(namespacePath);
        return key.StartsWith(KvKeyRules.ReservedPrefix, StringComparison.Ordinal)
            ? (reserved, key[KvKeyRules.ReservedPrefix.Length..])
            : (data, key);
    }

    /// <summary>A JSON payload (or metadata) to write through the public API byte for byte.</summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public sealed class RawJson(byte[] utf8)
    {
        public byte[] Utf8 { get; } = utf8;
    }

    /// <summary>Writes <see cref="RawJson"/> as it is; never used to read.</summary>
    public sealed class RawJsonConverter : JsonConverter<RawJson>
    {
        public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("RawJson is only written.");

        public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Utf8, skipInputValidation: true);
    }

    private sealed class PortableKvStore(PortableKvAdaptor adaptor, string namespacePath)
        : KvStoreBase(adaptor, namespacePath, adaptor._serializer, adaptor._timeProvider)
    {
        private IAtomicKvStore Data => adaptor.Resolve(NamespacePath).Data;

        protected override IAtomicKvStore CreateChild(string namespacePath) => new PortableKvStore(adaptor, namespacePath);

        protected override async ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            KvEntry<object>? entry = await store.GetEntryAsync<object>(k, cancellationToken);
            return entry is null
                ? KvValue.Missing
                : new KvValue(ToPayload(entry.Value), decoded: null, entry.ExpiresAt, ToMetadata(entry.Metadata), entry.Version);
        }

        protected override async ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            KvSetOptions? options = Options(ttl, value.Metadata);
            if (IsRawBytes(value.Payload!))
            {
                await store.SetAsync(k, RawBytes(value.Payload!), options, cancellationToken);
            }
            else
            {
                await store.SetAsync(k, new RawJson(value.Payload!), options, cancellationToken);
            }
        }

        protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            KvSetOptions? options = Options(ttl, value.Metadata);
            return IsRawBytes(value.Payload!)
                ? store.SetIfNotExistsAsync(k, RawBytes(value.Payload!), options, cancellationToken)
                : store.SetIfNotExistsAsync(k, new RawJson(value.Payload!), options, cancellationToken);
        }

        protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.DeleteAsync(k, cancellationToken);
        }

        protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.ExistsAsync(k, cancellationToken);
        }

        protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.ExpireAsync(k, ttl, cancellationToken);
        }

        protected override KvValue GetCore(string key, bool includeDetails)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            KvEntry<object>? entry = store.Synchronous.GetEntry<object>(k);
            return entry is null
                ? KvValue.Missing
                : new KvValue(ToPayload(entry.Value), decoded: null, entry.ExpiresAt, ToMetadata(entry.Metadata), entry.Version);
        }

        protected override void SetCore(string key, KvValue value, TimeSpan? ttl)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            KvSetOptions? options = Options(ttl, value.Metadata);
            if (IsRawBytes(value.Payload!))
            {
                store.Synchronous.Set(k, RawBytes(value.Payload!), options);
            }
            else
            {
                store.Synchronous.Set(k, new RawJson(value.Payload!), options);
            }
        }

        protected override bool DeleteCore(string key)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.Synchronous.Delete(k);
        }

        protected override bool ExpireCore(string key, TimeSpan ttl)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.Synchronous.Expire(k, ttl);
        }

        protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.IncrementAsync(k, by, Options(ttl, metadata), cancellationToken);
        }

        protected override ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.GetTimeToLiveAsync(k, cancellationToken);
        }

        protected override ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken)
        {
            (IAtomicKvStore store, string k) = adaptor.Map(NamespacePath, key);
            return store.PersistAsync(k, cancellationToken);
        }

        // The multi-key cores below get user keys only (validated by the public API), so they all live in Data.
        protected override async ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken)
        {
            IReadOnlyDictionary<string, object?> found = await Data.GetManyAsync<object>(keys, cancellationToken);
            return [.. keys.Select(k => found.TryGetValue(k, out object? value) ? new KvValue(ToPayload(value)) : KvValue.Missing)];
        }

        protected override async ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken)
        {
            // One transaction: atomic, one version, and each item keeps its own metadata.
            KvTransaction transaction = Data.CreateTransaction();
            foreach ((string key, KvValue value) in items)
            {
                AddSet(transaction, Data, key, value, ttl);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        protected override ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken) =>
            Data.DeleteManyAsync(keys, cancellationToken);

        protected override async ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken)
        {
            IReadOnlyDictionary<string, long> sizes = await Data.GetStorageSizeAsync(keys, cancellationToken);
            return [.. keys.Select(k => sizes.TryGetValue(k, out long size) ? size : -1)];
        }

        protected override ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken) =>
            Data.GetStorageSizeAsync(cancellationToken);

        protected override async ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken)
        {
            var keys = new List<KvKeyInfo>();
            await foreach (KvKeyInfo key in ListAllAsync(request, cancellationToken))
            {
                keys.Add(key);
            }

            return keys;
        }

        protected override async ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken)
        {
            long count = 0;
            await foreach (KvKeyInfo _ in ListAllAsync(request, cancellationToken))
            {
                count++;
            }

            return count;
        }

        protected override async ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken)
        {
            KvTransaction transaction = Data.CreateTransaction();
            foreach (KvTransactionOperation operation in operations)
            {
                (IAtomicKvStore store, string key) = adaptor.Map(operation.NamespacePath, operation.Key);
                switch (operation.Kind)
                {
                    case KvTransactionOperationKind.Check:
                        transaction.Check(store, key, operation.ExpectedVersion);
                        break;
                    case KvTransactionOperationKind.Set:
                        AddSet(transaction, store, key, operation.Value, operation.Ttl);
                        break;
                    case KvTransactionOperationKind.Delete:
                        transaction.Delete(store, key);
                        break;
                    case KvTransactionOperationKind.Increment:
                        transaction.Increment(store, key, operation.By, Options(operation.Ttl, operation.Metadata));
                        break;
                    default:
                        throw new NotSupportedException(operation.Kind.ToString());
                }
            }

            return await transaction.CommitAsync(cancellationToken);
        }

        protected override IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request)
        {
            var keys = new List<KvKeyInfo>();
            string? cursor = null;
            while (keys.Count < request.Limit)
            {
                KvListResult page = Data.Synchronous.List(PageQuery(request, request.Limit - keys.Count, cursor));
                keys.AddRange(page.Keys);
                cursor = page.Cursor;
                if (cursor is null)
                {
                    break;
                }
            }

            return keys;
        }

        // The request's keys, in order, a page of the wrapped store's listing at a time, up to its limit.
        private async IAsyncEnumerable<KvKeyInfo> ListAllAsync(KvListRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            int left = request.Limit;
            string? cursor = null;
            while (left > 0)
            {
                KvListResult page = await Data.ListAsync(PageQuery(request, left, cursor), cancellationToken);
                foreach (KvKeyInfo key in page.Keys)
                {
                    yield return key;
                }

                left -= page.Keys.Count;
                cursor = page.Cursor;
                if (cursor is null)
                {
                    yield break;
                }
            }
        }

        // The wrapped store's query for the next page of a request, of at most `left` keys.
        private static KvListQuery PageQuery(KvListRequest request, int left, string? cursor) =>
            new()
            {
                Prefix = request.Prefix.Length == 0 ? null : request.Prefix,
                Pattern = request.Pattern?.Text,
                Start = request.LowerBound,
                StartInclusive = request.LowerInclusive,
                End = request.UpperBound,
                EndInclusive = request.UpperInclusive,
                Limit = Math.Min(left, KvListQuery.DefaultLimit),
                Cursor = cursor,
            };

        private static void AddSet(KvTransaction transaction, IAtomicKvStore store, string key, KvValue value, TimeSpan? ttl)
        {
            KvSetOptions? options = Options(ttl, value.Metadata);
            if (IsRawBytes(value.Payload!))
            {
                transaction.Set(store, key, RawBytes(value.Payload!), options);
            }
            else
            {
                transaction.Set(store, key, new RawJson(value.Payload!), options);
            }
        }

        private static KvSetOptions? Options(TimeSpan? ttl, byte[]? metadata) =>
            ttl is null && metadata is null ? null : new KvSetOptions { Ttl = ttl, Metadata = metadata is null ? null : new RawJson(metadata) };

        private static bool IsRawBytes(byte[] payload) => payload.Length > 0 && payload[0] == KvValueSerializer.RawBytesMarker;

        private static byte[] RawBytes(byte[] payload) => payload.AsSpan(1).ToArray();

        // Read as object, a stored value comes back as the bytes of a byte-array payload or a JsonElement over the
        // exact JSON the wrapped store holds; a JSON null as null.
        private static byte[] ToPayload(object? value) => value switch
        {
            null => "null"u8.ToArray(),
            byte[] bytes => [KvValueSerializer.RawBytesMarker, .. bytes],
            JsonElement element => JsonMarshal.GetRawUtf8Value(element).ToArray(),
            _ => throw new InvalidOperationException($"Unexpected stored value of type {value.GetType()}."),
        };

        private static byte[]? ToMetadata(JsonElement? metadata) =>
            metadata is { } element ? JsonMarshal.GetRawUtf8Value(element).ToArray() : null;
    }
}
