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
}
