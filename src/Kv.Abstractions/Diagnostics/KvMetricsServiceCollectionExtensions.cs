using System.Diagnostics.Metrics;
using Kv;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv's metrics (<see cref="KvMetrics"/>).</summary>
public static class KvMetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KvMetrics"/> as a singleton on the application's <see cref="IMeterFactory"/> (a meter of its
    /// own when none is registered), with <see cref="KvMetricsOptions"/> bound from <c>Kv:Metrics</c>.
    /// <c>services.AddKv()</c> calls it; call it yourself to configure the options. Calling it again registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddKvMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(KvMetrics)))
        {
            return services;
        }

        services.AddOptions<KvMetricsOptions>()
            .Configure<IServiceProvider>((options, sp) =>
            {
                // Read by hand: the one option is a bool, and Kv.Abstractions stays free of the configuration binder.
                if (sp.GetService<IConfiguration>()?[KvMetricsOptions.SectionName + ":" + nameof(KvMetricsOptions.IncludeNamespace)] is { } text
                    && bool.TryParse(text, out bool include))
                {
                    options.IncludeNamespace = include;
                }
            });
        services.TryAddSingleton(sp => new KvMetrics(
            sp.GetService<IMeterFactory>(),
            sp.GetRequiredService<IOptions<KvMetricsOptions>>().Value));
        return services;
    }

    /// <summary>Registers <see cref="KvMetrics"/> as <see cref="AddKvMetrics(IServiceCollection)"/> does, then configures its options.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options, e.g. <c>o =&gt; o.IncludeNamespace = true</c>.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddKvMetrics(this IServiceCollection services, Action<KvMetricsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddKvMetrics();
        services.Configure(configure);
        return services;
    }
}
