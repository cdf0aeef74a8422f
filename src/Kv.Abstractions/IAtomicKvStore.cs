using System.Text.Json.Serialization.Metadata;

namespace Kv;

/// <summary>
/// A <see cref="IKvStore"/> with atomic increment and set-if-not-exists. Both are atomic across every
/// adaptor instance that shares the backend, so they can carry rate limits and locks.
/// </summary>
public interface IAtomicKvStore : IKvStore
{
    /// <summary>Returns the store of the child namespace <paramref name="name"/> of this namespace.</summary>
    /// <param name="name">The child namespace name.</param>
    /// <returns>The child namespace's store.</returns>
    new IAtomicKvStore Namespace(string name);

    /// <summary>
    /// Adds <paramref name="by"/> to the 64-bit integer stored under <paramref name="key"/>. A missing or
    /// expired key is created with the value <paramref name="by"/> and the TTL of <paramref name="options"/>;
    /// an existing key keeps its TTL.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="by">The amount to add; negative decrements.</param>
    /// <param name="options">The TTL to give the key when this call creates it.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The value after the increment.</returns>
    /// <exception cref="KvException">The stored value is not an integer (<see cref="KvErrorCode.NotNumeric"/>) or
    /// the result overflows a 64-bit integer (<see cref="KvErrorCode.Overflow"/>); nothing changes.</exception>
    ValueTask<long> IncrementAsync(string key, long by = 1, KvSetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> only when <paramref name="key"/> is missing or expired,
    /// atomically with its TTL.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">The TTL of the new entry.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when this call stored the value.</returns>
    ValueTask<bool> SetIfNotExistsAsync<T>(string key, T value, KvSetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> only when <paramref name="key"/> is missing or expired, with
    /// source-generated serialization metadata.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">The serialization metadata of <typeparamref name="T"/>.</param>
    /// <param name="options">The TTL of the new entry.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when this call stored the value.</returns>
    ValueTask<bool> SetIfNotExistsAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, KvSetOptions? options = null, CancellationToken cancellationToken = default);
    /// <summary>
    /// Starts a transaction: checks and writes across this adaptor's namespaces, committed atomically
    /// (see <see cref="KvTransaction"/>).
    /// </summary>
    /// <returns>An empty transaction.</returns>
    KvTransaction CreateTransaction();
}
