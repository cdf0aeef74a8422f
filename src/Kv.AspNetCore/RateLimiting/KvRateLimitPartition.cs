using System.Globalization;
using System.Threading.RateLimiting;
using Kv.Internal;

namespace Kv;

/// <summary>
/// Partitions for <see cref="PartitionedRateLimiter"/> (and ASP.NET Core's <c>AddPolicy</c> / <c>GlobalLimiter</c>)
/// backed by Kv limiters, like <see cref="RateLimitPartition"/>'s helpers for the built-in ones.
/// </summary>
/// <remarks>
/// <para>The partition key is turned into the limiter's store partition key with <see cref="object.ToString"/>
/// (invariant culture). Partitions with the same store (or namespace), algorithm and key share their permits, in
/// every instance sharing the store: use distinct keys, or distinct <see cref="KvRateLimiterOptions.Namespace"/>s,
/// for distinct limits.</para>
/// <para>The overloads taking an <see cref="IServiceProvider"/> (pass <c>HttpContext.RequestServices</c>) use the
/// registered <see cref="AtomicKvAdaptor"/>'s namespace <see cref="KvRateLimiterOptions.Namespace"/>, and the
/// registered <see cref="TimeProvider"/>, logger factory and meter factory.</para>
/// <example>
/// <code>
/// builder.Services.AddRateLimiter(o => o.GlobalLimiter = PartitionedRateLimiter.Create&lt;HttpContext, string&gt;(context =>
///     KvRateLimitPartition.GetSlidingWindowLimiter(
///         context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
///         context.RequestServices,
///         _ => new KvSlidingWindowRateLimiterOptions { PermitLimit = 100, Window = TimeSpan.FromMinutes(1) })));
/// </code>
/// </example>
/// </remarks>
public static class KvRateLimitPartition
{
    /// <summary>A partition with a <see cref="KvFixedWindowRateLimiter"/> on the store from dependency injection.</summary>
    /// <typeparam name="TKey">The partition key's type.</typeparam>
    /// <param name="partitionKey">The partition key.</param>
    /// <param name="services">The services (e.g. <c>HttpContext.RequestServices</c>); only singletons are taken from them.</param>
    /// <param name="factory">Makes the options when the partition's limiter is created.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<TKey> GetFixedWindowLimiter<TKey>(TKey partitionKey, IServiceProvider services, Func<TKey, KvFixedWindowRateLimiterOptions> factory)
        where TKey : notnull
        => FromServices(partitionKey, services, factory, static (store, key, options, s) => new KvFixedWindowRateLimiter(store, key, options, s.LoggerFactory, s.TimeProvider, s.Metrics));

    /// <summary>A partition with a <see cref="KvFixedWindowRateLimiter"/> on <paramref name="store"/>.</summary>
    /// <typeparam name="TKey">The partition key's type.</typeparam>
    /// <param name="partitionKey">The partition key.</param>
    /// <param name="store">The store that holds the limiter state.</param>
    /// <param name="factory">Makes the options when the partition's limiter is created.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<TKey> GetFixedWindowLimiter<TKey>(TKey partitionKey, IAtomicKvStore store, Func<TKey, KvFixedWindowRateLimiterOptions> factory)
        where TKey : notnull
        => OnStore(partitionKey, store, factory, static (store, key, options) => new KvFixedWindowRateLimiter(store, key, options));

    /// <summary>A partition with a <see cref="KvSlidingWindowRateLimiter"/> on the store from dependency injection.</summary>
    /// <typeparam name="TKey">The partition key's type.</typeparam>
    /// <param name="partitionKey">The partition key.</param>
    /// <param name="services">The services (e.g. <c>HttpContext.RequestServices</c>); only singletons are taken from them.</param>
    /// <param name="factory">Makes the options when the partition's limiter is created.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<TKey> GetSlidingWindowLimiter<TKey>(TKey partitionKey, IServiceProvider services, Func<TKey, KvSlidingWindowRateLimiterOptions> factory)
        where TKey : notnull
        => FromServices(partitionKey, services, factory, static (store, key, options, s) => new KvSlidingWindowRateLimiter(store, key, options, s.LoggerFactory, s.TimeProvider, s.Metrics));

    /// <summary>A partition with a <see cref="KvSlidingWindowRateLimiter"/> on <paramref name="store"/>.</summary>
    /// <typeparam name="TKey">The partition key's type.</typeparam>
    /// <param name="partitionKey">The partition key.</param>
    /// <param name="store">The store that holds the limiter state.</param>
    /// <param name="factory">Makes the options when the partition's limiter is created.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<TKey> GetSlidingWindowLimiter<TKey>(TKey partitionKey, IAtomicKvStore store, Func<TKey, KvSlidingWindowRateLimiterOptions> factory)
        where TKey : notnull
        => OnStore(partitionKey, store, factory, static (store, key, options) => new KvSlidingWindowRateLimiter(store, key, options));

    /// <summary>A partition with a <see cref="KvTokenBucketRateLimiter"/> on the store from dependency injection.</summary>
    /// <typeparam name="TKey">The partition key's type.</typeparam>
    /// <param name="partitionKey">The partition key.</param>
    /// <param name="services">The services (e.g. <c>HttpContext.RequestServices</c>); only singletons are taken from them.</param>
    /// <param name="factory">Makes the options when the partition's limiter is created.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<TKey> GetTokenBucketLimiter<TKey>(TKey partitionKey, IServiceProvider services, Func<TKey, KvTokenBucketRateLimiterOptions> factory)
        where TKey : notnull
        => FromServices(partitionKey, services, factory, static (store, key, options, s) => new KvTokenBucketRateLimiter(store, key, options, s.LoggerFactory, s.TimeProvider, s.Metrics));

    /// <summary>A partition with a <see cref="KvTokenBucketRateLimiter"/> on <paramref name="store"/>.</summary>
    /// <typeparam name="TKey">The partition key's type.</typeparam>
    /// <param name="partitionKey">The partition key.</param>
    /// <param name="store">The store that holds the limiter state.</param>
    /// <param name="factory">Makes the options when the partition's limiter is created.</param>
    /// <returns>The partition.</returns>
    public static RateLimitPartition<TKey> GetTokenBucketLimiter<TKey>(TKey partitionKey, IAtomicKvStore store, Func<TKey, KvTokenBucketRateLimiterOptions> factory)
        where TKey : notnull
        => OnStore(partitionKey, store, factory, static (store, key, options) => new KvTokenBucketRateLimiter(store, key, options));

    // A partition whose limiter takes its store, logging, clock and metrics from dependency injection.
    private static RateLimitPartition<TKey> FromServices<TKey, TOptions>(
        TKey partitionKey,
        IServiceProvider services,
        Func<TKey, TOptions> factory,
        Func<IAtomicKvStore, string, TOptions, KvRateLimitServices, KvRateLimiter> create)
        where TKey : notnull
        where TOptions : KvRateLimiterOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        return RateLimitPartition.Get(partitionKey, key =>
        {
            TOptions options = factory(key);
            KvRateLimitServices resolved = KvRateLimitServices.Resolve(services, options);
            return create(resolved.Store, Text(key), options, resolved);
        });
    }

    // A partition whose limiter uses the given store.
    private static RateLimitPartition<TKey> OnStore<TKey, TOptions>(
        TKey partitionKey, IAtomicKvStore store, Func<TKey, TOptions> factory, Func<IAtomicKvStore, string, TOptions, KvRateLimiter> create)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(factory);
        return RateLimitPartition.Get(partitionKey, key => create(store, Text(key), factory(key)));
    }

    private static string Text<TKey>(TKey key) where TKey : notnull => Convert.ToString(key, CultureInfo.InvariantCulture) ?? string.Empty;
}
