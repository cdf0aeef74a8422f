using Kv;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="KvOutputCacheStore"/> as the application's <see cref="IOutputCacheStore"/>.</summary>
public static class KvOutputCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KvOutputCacheStore"/> as the singleton <see cref="IOutputCacheStore"/> (replacing one registered
    /// before, as <c>AddStackExchangeRedisOutputCache</c> does), on the namespace <see cref="KvOutputCacheOptions.Namespace"/>
    /// (default <c>outputcache</c>) of the application's <see cref="KvAdaptor"/>. Options bind from <c>Kv:OutputCache</c>
    /// and are validated at start-up. Add the middleware itself with <c>AddOutputCache()</c> and <c>UseOutputCache()</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options, e.g. <c>o =&gt; o.Namespace = "pages"</c>; optional.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddKvOutputCache(this IServiceCollection services, Action<KvOutputCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(KvOutputCacheStore)))
        {
            services.AddKvOptions<KvOutputCacheOptions>(KvOutputCacheOptions.SectionName)
                .Validate(options => !options.Validate().Any(), "KvOutputCacheOptions are invalid: Namespace must be a valid namespace name.");
            services.AddSingleton(sp => new KvOutputCacheStore(
                sp.GetRequiredService<KvAdaptor>(), sp.GetRequiredService<IOptions<KvOutputCacheOptions>>()));
            services.RemoveAll<IOutputCacheStore>();
            services.AddSingleton<IOutputCacheStore>(sp => sp.GetRequiredService<KvOutputCacheStore>());
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }
}
