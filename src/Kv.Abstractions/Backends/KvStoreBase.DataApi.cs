using System.Globalization;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kv;

// The data API beyond get/set: batches, TTL management, metadata, listing, sizes, transactions.
public abstract partial class KvStoreBase
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<string, T?>> GetManyAsync<T>(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        string[] distinct = DistinctKeys(keys);
        cancellationToken.ThrowIfCancellationRequested();
        return AwaitManyAsync<T>(distinct, typeInfo: null, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<string, T?>> GetManyAsync<T>(IEnumerable<string> keys, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        string[] distinct = DistinctKeys(keys);
        ArgumentNullException.ThrowIfNull(typeInfo);
        cancellationToken.ThrowIfCancellationRequested();
        return AwaitManyAsync(distinct, typeInfo, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> items, KvSetOptions? options = null, CancellationToken cancellationToken = default) =>
        EncodeAndSetManyAsync(items, options, value => Serializer.Serialize(value), cancellationToken);

    /// <inheritdoc />
    public ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> items, JsonTypeInfo<T> typeInfo, KvSetOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return EncodeAndSetManyAsync(items, options, value => Serializer.Serialize(value, typeInfo), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> DeleteManyAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        string[] distinct = DistinctKeys(keys);
        cancellationToken.ThrowIfCancellationRequested();
        return distinct.Length == 0 ? new(0L) : Instrumented(KvOperationNames.DeleteMany, static (s, k, ct) => s.DeleteManyCoreAsync(k, ct), distinct, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<KvTimeToLive> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.GetTimeToLive, static (s, k, ct) => s.GetTimeToLiveCoreAsync(k, ct), key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> PersistAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.Persist, static (s, k, ct) => s.PersistCoreAsync(k, ct), key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> ExpireAtAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        TimeSpan ttl = KvTtl.FromExpiresAt(expiresAt, TimeProvider);
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.ExpireAt, static (s, a, ct) => s.ExpireCoreAsync(a.key, a.ttl, ct), (key, ttl), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<KvListResult> ListAsync(KvListQuery query, CancellationToken cancellationToken = default)
    {
        KvListRequest request = ToRequest(query, forCount: false);
        cancellationToken.ThrowIfCancellationRequested();
        return ListPageAsync(request, query.Limit, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(KvListQuery query, CancellationToken cancellationToken = default)
    {
        KvListRequest request = ToRequest(query, forCount: true);
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.Count, static (s, r, ct) => s.CountCoreAsync(r, ct), request, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> GetStorageSizeAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Instrumented(KvOperationNames.StorageSize, static (s, _, ct) => s.GetNamespaceSizeCoreAsync(ct), 0, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<string, long>> GetStorageSizeAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        string[] distinct = DistinctKeys(keys);
        cancellationToken.ThrowIfCancellationRequested();
        return AwaitSizesAsync(distinct, cancellationToken);
    }

    /// <inheritdoc />
    public KvTransaction CreateTransaction() => new(this);

    /// <summary>Reads many keys.</summary>
    /// <param name="keys">The validated keys, without duplicates; at least one.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>One value per key, in order; <see cref="KvValue.Missing"/> for a missing or expired key.</returns>
    protected abstract ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken);

    /// <summary>Stores many values atomically: all or none.</summary>
    /// <param name="items">The validated keys, without duplicates, with their encoded values; at least one.</param>
    /// <param name="ttl">The validated TTL of every entry, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when every value is stored.</returns>
    protected abstract ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken);

    /// <summary>Deletes many keys.</summary>
    /// <param name="keys">The validated keys, without duplicates; at least one.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many live entries were deleted.</returns>
    protected abstract ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken);

    /// <summary>Tells how long a key still lives.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Missing, permanent, or expiring with the remaining time rounded up to the millisecond.</returns>
    protected abstract ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes a live key's TTL.</summary>
    /// <param name="key">The validated key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the key existed and had a TTL.</returns>
    protected abstract ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken);

    /// <summary>Lists keys (see <see cref="KvListRequest"/>).</summary>
    /// <param name="request">The validated request.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Up to <see cref="KvListRequest.Limit"/> live matching keys in <see cref="KvKeyComparer"/> order.</returns>
    protected abstract ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken);

    /// <summary>Counts the live keys a request matches.</summary>
    /// <param name="request">The validated request (its limit is not used).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many live keys match.</returns>
    protected abstract ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken);

    /// <summary>The size of each key (see <see cref="IKvStore.GetStorageSizeAsync(CancellationToken)"/>).</summary>
    /// <param name="keys">The validated keys, without duplicates; at least one.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>One size per key, in order; -1 for a missing or expired key.</returns>
    protected abstract ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken);

    /// <summary>The size of this namespace's live entries.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The bytes used.</returns>
    protected abstract ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Commits a transaction atomically: every check is judged first, before any write (a check on a key that a write
    /// of the same commit changes sees the value before the commit); if every check holds, applies every write in
    /// order with one new version; otherwise changes nothing and returns <c>Applied = false</c>, version 0. A commit of
    /// checks only that all hold writes nothing and returns <c>Applied = true</c> with version 0. An increment failure
    /// (<see cref="KvErrorCode.NotNumeric"/>, <see cref="KvErrorCode.Overflow"/>) fails the commit with nothing changed.
    /// </summary>
    /// <param name="operations">The validated operations, in order; stores of this store's <see cref="Adaptor"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether it applied, and the version of the writes.</returns>
    protected abstract ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken);

    /// <summary>The size of an entry as Kv counts it: the key's UTF-8 bytes, the payload and the metadata.</summary>
    /// <param name="key">The key.</param>
    /// <param name="payloadLength">The payload's length.</param>
    /// <param name="metadataLength">The metadata's length, or 0.</param>
    /// <returns>The size in bytes.</returns>
    protected static long EntrySize(string key, int payloadLength, int metadataLength) =>
        Encoding.UTF8.GetByteCount(key) + (long)payloadLength + metadataLength;

    internal bool SharesBackendWith(KvStoreBase other) => ReferenceEquals(Adaptor, other.Adaptor);

    internal ValueTask<KvCommitResult> CommitTransactionAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken) =>
        operations.Count == 0 ? new(new KvCommitResult(true, 0)) : Instrumented(KvOperationNames.Commit, static (s, o, ct) => s.CommitCoreAsync(o, ct), operations, cancellationToken);

    internal TimeSpan? NormalizeTtl(KvSetOptions? options) => KvTtl.Normalize(options, TimeProvider);

    internal KvValue Encode<T>(T value, KvSetOptions? options)
    {
        byte[]? metadata = EncodeMetadata(options);
        KvValue encoded = Serializer.Serialize(value);
        return metadata is null ? encoded : encoded.WithMetadata(metadata);
    }

    internal KvValue Encode<T>(T value, JsonTypeInfo<T> typeInfo, KvSetOptions? options)
    {
        byte[]? metadata = EncodeMetadata(options);
        KvValue encoded = Serializer.Serialize(value, typeInfo);
        return metadata is null ? encoded : encoded.WithMetadata(metadata);
    }

    internal byte[]? EncodeMetadata(KvSetOptions? options)
    {
        if (options?.Metadata is not { } metadata)
        {
            return null;
        }

        byte[] json = Serializer.SerializeMetadata(metadata);
        return json.Length <= KvSetOptions.MaxMetadataBytes
            ? json
            : throw new KvException(KvErrorCode.InvalidValue, $"Metadata may take at most {KvSetOptions.MaxMetadataBytes} bytes serialized; this takes {json.Length}.");
    }

    /// <summary>Reads stored metadata back as a detached <see cref="JsonElement"/>.</summary>
    /// <param name="metadata">The stored UTF-8 JSON, or <see langword="null"/>.</param>
    /// <returns>The metadata, or <see langword="null"/>.</returns>
    protected static JsonElement? ParseMetadata(byte[]? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        var reader = new Utf8JsonReader(metadata);
        return JsonElement.ParseValue(ref reader);
    }

    private static string[] DistinctKeys(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var distinct = new List<string>();
        foreach (string key in keys)
        {
            ValidateKey(key);
            if (seen.Add(key))
            {
                distinct.Add(key);
            }
        }

        return [.. distinct];
    }

    private async ValueTask<IReadOnlyDictionary<string, T?>> AwaitManyAsync<T>(string[] keys, JsonTypeInfo<T>? typeInfo, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, T?>(keys.Length, StringComparer.Ordinal);
        if (keys.Length == 0)
        {
            return result;
        }

        KvValue[] values = await Instrumented(KvOperationNames.GetMany, static (s, k, ct) => s.GetManyCoreAsync(k, ct), keys, cancellationToken).ConfigureAwait(false);
        int misses = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (!values[i].HasValue)
            {
                misses++;
                continue;
            }

            result[keys[i]] = typeInfo is null ? Serializer.Deserialize<T>(values[i]) : Serializer.Deserialize(values[i], typeInfo);
        }

        RecordLookups(KvOperationNames.GetMany, keys.Length - misses, misses);
        return result;
    }

    private ValueTask EncodeAndSetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> items, KvSetOptions? options, Func<T, KvValue> encode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        TimeSpan? ttl = NormalizeTtl(options);
        byte[]? metadata = EncodeMetadata(options);
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var encoded = new List<KeyValuePair<string, KvValue>>();
        foreach (KeyValuePair<string, T> item in items)
        {
            ValidateKey(item.Key);
            KvValue value = encode(item.Value);
            if (metadata is not null)
            {
                value = value.WithMetadata(metadata);
            }

            // The last value given for a key wins.
            if (byKey.TryGetValue(item.Key, out int index))
            {
                encoded[index] = new(item.Key, value);
            }
            else
            {
                byKey.Add(item.Key, encoded.Count);
                encoded.Add(new(item.Key, value));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (encoded.Count == 0)
        {
            return default;
        }

        KeyValuePair<string, KvValue>[] batch = [.. encoded];
        return Instrumented(KvOperationNames.SetMany, static (s, a, ct) => s.SetManyCoreAsync(a.batch, a.ttl, ct), (batch, ttl), cancellationToken);
    }

    private async ValueTask<IReadOnlyDictionary<string, long>> AwaitSizesAsync(string[] keys, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, long>(keys.Length, StringComparer.Ordinal);
        if (keys.Length == 0)
        {
            return result;
        }

        long[] sizes = await Instrumented(KvOperationNames.StorageSize, static (s, k, ct) => s.GetKeySizesCoreAsync(k, ct), keys, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < keys.Length; i++)
        {
            if (sizes[i] >= 0)
            {
                result[keys[i]] = sizes[i];
            }
        }

        return result;
    }

    private async ValueTask<KvListResult> ListPageAsync(KvListRequest request, int limit, CancellationToken cancellationToken)
    {
        // One key more than the page, to know whether another page exists.
        IReadOnlyList<KvKeyInfo> keys = await Instrumented(KvOperationNames.List, static (s, r, ct) => s.ListCoreAsync(r, ct), request, cancellationToken).ConfigureAwait(false);
        return ToPage(keys, limit);
    }

    // The backend returned up to limit + 1 keys: the extra key only says that another page exists.
    private static KvListResult ToPage(IReadOnlyList<KvKeyInfo> keys, int limit)
    {
        if (keys.Count <= limit)
        {
            return new KvListResult(keys, cursor: null);
        }

        KvKeyInfo[] page = [.. keys.Take(limit)];
        return new KvListResult(page, EncodeCursor(page[^1].Name));
    }

    // Validates a query and folds prefix, pattern prefix and cursor into one request. A request asks the backend for
    // one key more than the page (`query.Limit + 1`); a count asks for every key (int.MaxValue) and ignores the limit.
    private static KvListRequest ToRequest(KvListQuery query, bool forCount)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!forCount && query.Limit is < 1 or > KvListQuery.DefaultLimit)
        {
            throw new KvException(
                KvErrorCode.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"A page holds 1 to {KvListQuery.DefaultLimit} keys; the limit was {query.Limit}."));
        }

        // Keys are well-formed UTF-16 (valid UTF-8 on the wire). A bound with a lone surrogate has no UTF-8 form, so the
        // backends would order it differently (by code unit in memory, as U+FFFD on Redis): refuse it.
        ThrowIfLoneSurrogate(query.Prefix, nameof(KvListQuery.Prefix));
        ThrowIfLoneSurrogate(query.Start, nameof(KvListQuery.Start));
        ThrowIfLoneSurrogate(query.End, nameof(KvListQuery.End));

        KvKeyPattern? pattern = query.Pattern is null ? null : ParsePattern(query.Pattern);
        if (pattern is { MatchesAll: true })
        {
            pattern = null;
        }

        // The longer of the two prefixes narrows the most; if neither extends the other, nothing can match.
        string prefix = query.Prefix ?? string.Empty;
        string patternPrefix = pattern?.LiteralPrefix ?? string.Empty;
        bool disjoint = false;
        if (patternPrefix.StartsWith(prefix, StringComparison.Ordinal))
        {
            prefix = patternPrefix;
        }
        else if (!prefix.StartsWith(patternPrefix, StringComparison.Ordinal))
        {
            disjoint = true;
        }

        string? lower = query.Start;
        bool lowerInclusive = query.StartInclusive;
        if (prefix.Length > 0 && (lower is null || KvKeyComparer.Instance.Compare(prefix, lower) > 0))
        {
            lower = prefix;
            lowerInclusive = true;
        }

        if (query.Cursor is not null)
        {
            string after = DecodeCursor(query.Cursor);
            if (lower is null || KvKeyComparer.Instance.Compare(after, lower) >= 0)
            {
                lower = after;
                lowerInclusive = false;
            }
        }

        string? upper = query.End;
        bool upperInclusive = query.EndInclusive;
        if (disjoint)
        {
            // An empty range: nothing lies at or below "" exclusive.
            upper = string.Empty;
            upperInclusive = false;
        }

        return new KvListRequest(prefix, pattern, lower, lowerInclusive, upper, upperInclusive, forCount ? int.MaxValue : query.Limit + 1);
    }

    private static void ThrowIfLoneSurrogate(string? text, string name)
    {
        if (text is not null && KvKeyPattern.HasLoneSurrogate(text))
        {
            throw new KvException(KvErrorCode.InvalidArgument, $"The {name} of a listing contains a lone surrogate; keys are well-formed UTF-16.");
        }
    }

    // A pattern given to an operation is input like a key: a malformed one is a KvException, as every other bad input.
    private static KvKeyPattern ParsePattern(string pattern)
    {
        try
        {
            return new KvKeyPattern(pattern);
        }
        catch (ArgumentException ex) when (ex is not ArgumentNullException)
        {
            throw new KvException(KvErrorCode.InvalidArgument, ex.Message, ex);
        }
    }

    // A cursor is the last key of the page, base64url-encoded: opaque to users, stable across backends and restarts.
    private static string EncodeCursor(string lastKey) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastKey));

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string DecodeCursor(string cursor)
    {
        try
        {
            // Strict: a lenient decoder would turn bytes that are not UTF-8 into U+FFFD, a valid key.
            string key = StrictUtf8.GetString(Base64Url.DecodeFromChars(cursor));
            if (KvKeyRules.IsValidKey(key))
            {
                return key;
            }
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            // Reported below, as every other malformed cursor.
        }

        throw new KvException(KvErrorCode.InvalidArgument, "The cursor is not one a listing returned.");
    }
}
