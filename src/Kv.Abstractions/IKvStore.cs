using System.Text.Json.Serialization.Metadata;

namespace Kv;

/// <summary>
/// A namespaced key-value store: the keys of one namespace, isolated from every other namespace.
/// </summary>
/// <remarks>
/// <para>Keys are non-empty, at most 255 characters, printable (no control characters, no lone
/// surrogates) and may not start with <c>__</c>. Values are anything System.Text.Json can
/// serialize; <see cref="byte"/> arrays are stored raw.</para>
/// <para>Argument errors are thrown before any I/O. Failures of the backend surface as
/// <see cref="KvException"/> with <see cref="KvErrorCode.StoreOperationFailed"/>.</para>
/// </remarks>
public interface IKvStore
{
    /// <summary>Returns the store of the child namespace <paramref name="name"/> of this namespace.</summary>
    /// <param name="name">The child namespace name (see <see cref="KvAdaptor.Namespace(string)"/>).</param>
    /// <returns>A store whose keys are isolated from this namespace and from every other one.</returns>
    IKvStore Namespace(string name);

    /// <summary>
    /// The clock of this store, its adaptor's: TTLs, absolute expiries (<see cref="KvSetOptions.ExpiresAt"/>) and
    /// expiry checks are measured on it, and code that keeps time-based state in the store (the rate limiters of
    /// Kv.AspNetCore) uses it so that every instance sharing the store agrees.
    /// </summary>
    TimeProvider TimeProvider { get; }

    /// <summary>The synchronous point operations of this store (see <see cref="IKvSynchronousStore"/>).</summary>
    IKvSynchronousStore Synchronous { get; }

    /// <summary>Reads the value of <paramref name="key"/>.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The value, or <see langword="default"/> when the key is missing or expired. Use
    /// <see cref="GetEntryAsync{T}(string, CancellationToken)"/> to tell a missing key from a stored
    /// <see langword="null"/>.</returns>
    /// <exception cref="KvException">The key is invalid (<see cref="KvErrorCode.InvalidKey"/>), the stored value
    /// cannot be read as <typeparamref name="T"/> (<see cref="KvErrorCode.InvalidValue"/>), or the store failed
    /// (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    ValueTask<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads the value of <paramref name="key"/> with source-generated serialization metadata,
    /// so the call is safe under trimming and Native AOT.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="typeInfo">The serialization metadata of <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The value, or <see langword="default"/> when the key is missing or expired.</returns>
    ValueTask<T?> GetAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Reads the entry of <paramref name="key"/>: its value and its expiry.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The entry, or <see langword="null"/> when the key is missing or expired. A stored
    /// <see langword="null"/> is an entry whose <see cref="KvEntry{T}.Value"/> is <see langword="null"/>.</returns>
    ValueTask<KvEntry<T>?> GetEntryAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads the entry of <paramref name="key"/> with source-generated serialization metadata.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="typeInfo">The serialization metadata of <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The entry, or <see langword="null"/> when the key is missing or expired.</returns>
    ValueTask<KvEntry<T>?> GetEntryAsync<T>(string key, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any earlier value.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; <see langword="null"/> is stored as a value.</param>
    /// <param name="options">The TTL; without one the entry is permanent and any earlier TTL is cleared.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="KvException">The key is invalid (<see cref="KvErrorCode.InvalidKey"/>), the TTL is
    /// invalid (<see cref="KvErrorCode.InvalidTtl"/>), the value cannot be serialized
    /// (<see cref="KvErrorCode.InvalidValue"/>), a backend limit was reached, or the store failed.
    /// Nothing is stored in any of these cases.</exception>
    ValueTask SetAsync<T>(string key, T value, KvSetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a string under <paramref name="key"/>, replacing any earlier value: exactly
    /// <see cref="SetAsync{T}(string, T, KvSetOptions?, CancellationToken)"/> with <c>T</c> = <see cref="string"/>, which
    /// a call with a string value resolves to. Strings are the most common value, and an interface call of a generic
    /// method costs a run-time lookup of the method on every call; this one does not.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The string; <see langword="null"/> is stored as a value.</param>
    /// <param name="options">The TTL; without one the entry is permanent and any earlier TTL is cleared.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the value is stored.</returns>
    /// <exception cref="KvException">As <see cref="SetAsync{T}(string, T, KvSetOptions?, CancellationToken)"/>.</exception>
    ValueTask SetAsync(string key, string? value, KvSetOptions? options = null, CancellationToken cancellationToken = default) =>
        SetAsync<string?>(key, value, options, cancellationToken);

    /// <summary>Stores <paramref name="value"/> with source-generated serialization metadata.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">The serialization metadata of <typeparamref name="T"/>.</param>
    /// <param name="options">The TTL; without one the entry is permanent.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask SetAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, KvSetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when a live entry was deleted; <see langword="false"/> when the key
    /// was missing or already expired.</returns>
    ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Tells whether <paramref name="key"/> holds a live (not expired) entry.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when the key exists, including when it holds a stored <see langword="null"/>.</returns>
    ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Sets the TTL of an existing key, counted from now.</summary>
    /// <param name="key">The key.</param>
    /// <param name="ttl">A positive TTL of at most <see cref="KvSetOptions.MaxTtl"/>; fractions of a
    /// millisecond round up.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when the key existed and now has the TTL; <see langword="false"/> when
    /// it was missing or expired.</returns>
    /// <exception cref="KvException">The TTL is invalid (<see cref="KvErrorCode.InvalidTtl"/>); nothing changes.</exception>
    ValueTask<bool> ExpireAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default);
    /// <summary>Reads many keys in one operation (one round trip on Redis).</summary>
    /// <typeparam name="T">The type to read the values as.</typeparam>
    /// <param name="keys">The keys; duplicates are read once.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The keys that exist, with their values (a stored <see langword="null"/> included). Missing keys are absent.</returns>
    /// <exception cref="KvException">A key is invalid (nothing is read), a value cannot be read as <typeparamref name="T"/>, or the store failed.</exception>
    ValueTask<IReadOnlyDictionary<string, T?>> GetManyAsync<T>(IEnumerable<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Reads many keys with source-generated serialization metadata.</summary>
    /// <typeparam name="T">The type to read the values as.</typeparam>
    /// <param name="keys">The keys; duplicates are read once.</param>
    /// <param name="typeInfo">The serialization metadata of <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The keys that exist, with their values.</returns>
    ValueTask<IReadOnlyDictionary<string, T?>> GetManyAsync<T>(IEnumerable<string> keys, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);

    /// <summary>Stores many values atomically, all or none, with one set of options (TTL, metadata) for all of them.</summary>
    /// <typeparam name="T">The type of the values.</typeparam>
    /// <param name="items">The keys and values; for a key given twice, the last value wins.</param>
    /// <param name="options">The TTL (or absolute expiry) and metadata of every entry; none stores permanent entries.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when every value is stored.</returns>
    /// <exception cref="KvException">A key, the TTL, the metadata or a value is invalid: nothing is stored.</exception>
    ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> items, KvSetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Stores many values atomically with source-generated serialization metadata.</summary>
    /// <typeparam name="T">The type of the values.</typeparam>
    /// <param name="items">The keys and values; for a key given twice, the last value wins.</param>
    /// <param name="typeInfo">The serialization metadata of <typeparamref name="T"/>.</param>
    /// <param name="options">The TTL and metadata of every entry.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when every value is stored.</returns>
    ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> items, JsonTypeInfo<T> typeInfo, KvSetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes many keys in one operation.</summary>
    /// <param name="keys">The keys; duplicates count once.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many of the keys existed (and were deleted).</returns>
    ValueTask<long> DeleteManyAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Tells how long <paramref name="key"/> still lives: missing, permanent, or expiring after a remaining time.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The key's time to live.</returns>
    ValueTask<KvTimeToLive> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Removes the TTL of <paramref name="key"/>, making it permanent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when the key existed and had a TTL.</returns>
    ValueTask<bool> PersistAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Sets when a live key expires, as an instant on the application's <see cref="TimeProvider"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expiresAt">The instant; it must lie in the future, at most <see cref="KvSetOptions.MaxTtl"/> away
    /// (else <see cref="KvErrorCode.InvalidTtl"/>, and nothing changes).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="false"/> when the key is missing.</returns>
    ValueTask<bool> ExpireAtAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Lists this namespace's keys that satisfy a query (prefix, glob pattern, range), a page at a time.</summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the pattern or cursor is malformed, the
    /// prefix or a bound contains a lone surrogate, or the limit is out of range.</exception>
    ValueTask<KvListResult> ListAsync(KvListQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts the live keys of this namespace that satisfy a query (prefix, glob pattern, range, cursor), in one
    /// operation; the query's <see cref="KvListQuery.Limit"/> is ignored.
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many keys match.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the pattern or cursor is malformed, or the
    /// prefix or a bound contains a lone surrogate.</exception>
    ValueTask<long> CountAsync(KvListQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The bytes this namespace's live entries take: for each, its key's UTF-8 bytes, its encoded value and its
    /// metadata. The same number on every backend; a backend's own overhead is not counted.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The bytes used.</returns>
    ValueTask<long> GetStorageSizeAsync(CancellationToken cancellationToken = default);

    /// <summary>The bytes each of the given keys takes, counted as by <see cref="GetStorageSizeAsync(CancellationToken)"/>.</summary>
    /// <param name="keys">The keys.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The keys that exist, with their sizes.</returns>
    ValueTask<IReadOnlyDictionary<string, long>> GetStorageSizeAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default);
}
