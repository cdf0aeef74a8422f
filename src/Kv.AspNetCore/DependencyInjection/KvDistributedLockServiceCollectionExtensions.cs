using System.Diagnostics.Metrics;
using Kv;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv distributed locks.</summary>
public static class KvDistributedLockServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="KvDistributedLockProvider"/> on the namespace
    /// <see cref="KvDistributedLockOptions.Namespace"/> (default <c>locks</c>) of the application's
    /// <see cref="AtomicKvAdaptor"/> (register one with <c>services.AddKv()</c>), with options bound from <c>Kv:Locks</c>
    /// and validated at start-up, the registered <see cref="TimeProvider"/>, logging and <see cref="KvAspNetCoreMetrics"/>.
    /// Registrations made earlier win; calling it again registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddKvDistributedLocks(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(KvDistributedLockProvider)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetService<IMeterFactory>() is { } factory
            ? KvAspNetCoreMetrics.ForFactory(factory)
            : new KvAspNetCoreMetrics(meterFactory: null));
        services.AddKvOptions<KvDistributedLockOptions>(KvDistributedLockOptions.SectionName)
            .Validate(options => !options.Validate().Any(), "KvDistributedLockOptions are invalid: see KvDistributedLockOptions.Validate().");
        services.TryAddSingleton(sp =>
        {
            KvDistributedLockOptions options = sp.GetRequiredService<IOptions<KvDistributedLockOptions>>().Value;
            return new KvDistributedLockProvider(
                sp.GetRequiredService<AtomicKvAdaptor>().Namespace(options.Namespace),
                options,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>(),
                sp.GetRequiredService<KvAspNetCoreMetrics>());
        });
        return services;
    }

    /// <summary>Registers Kv distributed locks as <see cref="AddKvDistributedLocks(IServiceCollection)"/> does, then configures the options.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddKvDistributedLocks(this IServiceCollection services, Action<KvDistributedLockOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddKvDistributedLocks();
        services.Configure(configure);
        return services;
    }
}
