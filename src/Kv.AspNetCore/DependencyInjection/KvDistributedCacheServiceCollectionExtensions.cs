using Kv;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="KvDistributedCache"/> as the application's <see cref="IDistributedCache"/>.</summary>
public static class KvDistributedCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KvDistributedCache"/> as the singleton <see cref="IDistributedCache"/> (replacing one registered
    /// before, as <c>AddStackExchangeRedisCache</c> does), on the namespace <see cref="KvDistributedCacheOptions.Namespace"/>
    /// (default <c>cache</c>) of the application's <see cref="KvAdaptor"/> (register one with <c>services.AddKv()</c>).
    /// Options bind from <c>Kv:DistributedCache</c> and are validated at start-up.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddKvDistributedCache(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(KvDistributedCache)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddKvOptions<KvDistributedCacheOptions>(KvDistributedCacheOptions.SectionName)
            .Validate(options => !options.Validate().Any(), "KvDistributedCacheOptions are invalid: Namespace must be a valid namespace name.");
        services.AddSingleton(sp => new KvDistributedCache(
            sp.GetRequiredService<KvAdaptor>(),
            sp.GetRequiredService<IOptions<KvDistributedCacheOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.RemoveAll<IDistributedCache>();
        services.AddSingleton<IDistributedCache>(sp => sp.GetRequiredService<KvDistributedCache>());
        return services;
    }

    /// <summary>Registers the cache as <see cref="AddKvDistributedCache(IServiceCollection)"/> does, then configures its options.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options, e.g. <c>o =&gt; o.Namespace = "sessions"</c>.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddKvDistributedCache(this IServiceCollection services, Action<KvDistributedCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddKvDistributedCache();
        services.Configure(configure);
        return services;
    }
}
