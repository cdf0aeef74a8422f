namespace Kv;

/// <summary>
/// The synchronous point operations of a store (<see cref="IKvStore.Synchronous"/>), for APIs that the framework
/// calls synchronously: <c>IDistributedCache.Get</c>/<c>Set</c>/<c>Refresh</c>/<c>Remove</c> (ASP.NET Core session
/// state loads through them when the app does not call <c>LoadAsync</c>) and Data Protection's <c>IXmlRepository</c>.
/// </summary>
/// <remarks>
/// Every backend serves them with its client's own synchronous calls (the memory backend directly, Redis through
/// StackExchange.Redis's synchronous API), never by blocking on an asynchronous operation. They validate arguments,
/// encode values and record metrics exactly as the asynchronous methods of the same name, and fail the same way
/// (<see cref="KvException"/>). Prefer the asynchronous methods wherever the caller can await: a synchronous call
/// holds its thread for the whole round trip.
/// </remarks>
public interface IKvSynchronousStore
{
    /// <summary>Reads the value of <paramref name="key"/>; see <see cref="IKvStore.GetAsync{T}(string, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="default"/> when the key is missing or expired.</returns>
    /// <exception cref="KvException">As <see cref="IKvStore.GetAsync{T}(string, CancellationToken)"/>.</exception>
    T? Get<T>(string key);

    /// <summary>Reads the entry of <paramref name="key"/>; see <see cref="IKvStore.GetEntryAsync{T}(string, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <param name="key">The key.</param>
    /// <returns>The entry, or <see langword="null"/> when the key is missing or expired.</returns>
    /// <exception cref="KvException">As <see cref="IKvStore.GetEntryAsync{T}(string, CancellationToken)"/>.</exception>
    KvEntry<T>? GetEntry<T>(string key);

    /// <summary>Stores a value; see <see cref="IKvStore.SetAsync{T}(string, T, KvSetOptions?, CancellationToken)"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">The TTL and metadata, or <see langword="null"/> for a permanent entry.</param>
    /// <exception cref="KvException">As <see cref="IKvStore.SetAsync{T}(string, T, KvSetOptions?, CancellationToken)"/>.</exception>
    void Set<T>(string key, T value, KvSetOptions? options = null);

    /// <summary>Deletes a key; see <see cref="IKvStore.DeleteAsync(string, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether a live entry was deleted.</returns>
    /// <exception cref="KvException">As <see cref="IKvStore.DeleteAsync(string, CancellationToken)"/>.</exception>
    bool Delete(string key);

    /// <summary>Sets the TTL of a live entry; see <see cref="IKvStore.ExpireAsync(string, TimeSpan, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="ttl">The new TTL.</param>
    /// <returns>Whether the key existed.</returns>
    /// <exception cref="KvException">As <see cref="IKvStore.ExpireAsync(string, TimeSpan, CancellationToken)"/>.</exception>
    bool Expire(string key, TimeSpan ttl);

    /// <summary>
    /// Lists this namespace's keys that satisfy a query, a page at a time; see
    /// <see cref="IKvStore.ListAsync(KvListQuery, CancellationToken)"/>. The same validation, order, paging and cursors
    /// (a cursor of either method continues with the other).
    /// </summary>
    /// <param name="query">The prefix, pattern, range, page size and cursor.</param>
    /// <returns>A page of keys and the cursor of the next page (<see langword="null"/> on the last page).</returns>
    /// <exception cref="KvException">As <see cref="IKvStore.ListAsync(KvListQuery, CancellationToken)"/>
    /// (<see cref="KvErrorCode.InvalidArgument"/> for a bad limit, cursor, bound or pattern).</exception>
    KvListResult List(KvListQuery query);
}
