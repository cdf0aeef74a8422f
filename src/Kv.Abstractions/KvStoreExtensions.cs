using System.Text.Json.Serialization.Metadata;

namespace Kv;

/// <summary>
/// Conveniences over the primitives of <see cref="IKvStore"/>, each a thin layer over one of them (as
/// <c>MemoryCacheExtensions</c> is over <c>IMemoryCache</c>): they work the same on every backend and on any
/// decorator, and a backend has nothing to implement for them.
/// </summary>
public static class KvStoreExtensions
{
    /// <summary>
    /// Lists the keys of <paramref name="store"/>'s namespace in lexicographic order, a page at a time (Workers KV's
    /// <c>list</c>); <see cref="IKvStore.ListAsync(KvListQuery, CancellationToken)"/> with a prefix, a limit and a cursor.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="prefix">Only keys starting with this text; <see langword="null"/> for all.</param>
    /// <param name="limit">The page size, 1 to <see cref="KvListQuery.DefaultLimit"/>.</param>
    /// <param name="cursor">The previous page's <see cref="KvListResult.Cursor"/>, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page: keys with their expiry and metadata, and the cursor of the next page.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the cursor is malformed, the prefix
    /// contains a lone surrogate, or the limit is out of range.</exception>
    public static ValueTask<KvListResult> ListAsync(this IKvStore store, string? prefix = null, int limit = KvListQuery.DefaultLimit, string? cursor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.ListAsync(new KvListQuery { Prefix = prefix, Limit = limit, Cursor = cursor }, cancellationToken);
    }

    /// <summary>
    /// Returns every key of <paramref name="store"/>'s namespace that matches a glob pattern, in lexicographic order
    /// (CinchDB's <c>keys</c>): <see cref="IKvStore.ListAsync(KvListQuery, CancellationToken)"/> page after page.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="pattern">The pattern (see <see cref="KvKeyPattern"/>); <c>*</c> for all.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The matching keys.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the pattern is malformed.</exception>
    public static async ValueTask<IReadOnlyList<string>> KeysAsync(this IKvStore store, string pattern = "*", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(pattern);
        var keys = new List<string>();
        string? cursor = null;
        do
        {
            KvListResult page = await store.ListAsync(new KvListQuery { Pattern = pattern, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
            foreach (KvKeyInfo key in page.Keys)
            {
                keys.Add(key.Name);
            }

            cursor = page.Cursor;
        }
        while (cursor is not null);
        return keys;
    }

    /// <summary>
    /// Counts the live keys of <paramref name="store"/>'s namespace that match a glob pattern:
    /// <see cref="IKvStore.CountAsync(KvListQuery, CancellationToken)"/> with that pattern.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="pattern">The pattern (see <see cref="KvKeyPattern"/>); <c>*</c> for all.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many keys match.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidArgument"/>: the pattern is malformed.</exception>
    public static ValueTask<long> CountAsync(this IKvStore store, string pattern = "*", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(pattern);
        return store.CountAsync(new KvListQuery { Pattern = pattern }, cancellationToken);
    }

    /// <summary>
    /// Reads many keys, all of which must exist (CinchDB's <c>mget</c>):
    /// <see cref="IKvStore.GetManyAsync{T}(IEnumerable{string}, CancellationToken)"/>, then a check that every key was found.
    /// </summary>
    /// <typeparam name="T">The type to read the values as.</typeparam>
    /// <param name="store">The store.</param>
    /// <param name="keys">The keys; duplicates are read once.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Every key with its value.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.KeyNotFound"/>: some keys are missing; <see cref="KvException.Keys"/>
    /// and the message name them.</exception>
    public static async ValueTask<IReadOnlyDictionary<string, T?>> GetRequiredManyAsync<T>(this IKvStore store, IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(keys);
        string[] requested = [.. keys];
        return RequireAll(requested, await store.GetManyAsync<T>(requested, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Reads many keys, all of which must exist, with source-generated serialization metadata:
    /// <see cref="IKvStore.GetManyAsync{T}(IEnumerable{string}, JsonTypeInfo{T}, CancellationToken)"/>, then a check that
    /// every key was found.
    /// </summary>
    /// <typeparam name="T">The type to read the values as.</typeparam>
    /// <param name="store">The store.</param>
    /// <param name="keys">The keys; duplicates are read once.</param>
    /// <param name="typeInfo">The serialization metadata of <typeparamref name="T"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Every key with its value.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.KeyNotFound"/>: some keys are missing.</exception>
    public static async ValueTask<IReadOnlyDictionary<string, T?>> GetRequiredManyAsync<T>(this IKvStore store, IEnumerable<string> keys, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(keys);
        string[] requested = [.. keys];
        return RequireAll(requested, await store.GetManyAsync(requested, typeInfo, cancellationToken).ConfigureAwait(false));
    }

    // The keys that were asked for and not found, once each in the order given, name the failure.
    private static IReadOnlyDictionary<string, T?> RequireAll<T>(string[] requested, IReadOnlyDictionary<string, T?> found)
    {
        List<string>? missing = null;
        HashSet<string>? seen = null;
        foreach (string key in requested)
        {
            if (!found.ContainsKey(key) && (seen ??= new(StringComparer.Ordinal)).Add(key))
            {
                (missing ??= []).Add(key);
            }
        }

        return missing is null
            ? found
            : throw new KvException(KvErrorCode.KeyNotFound, $"Keys not found: {string.Join(", ", missing)}", missing);
    }
}
