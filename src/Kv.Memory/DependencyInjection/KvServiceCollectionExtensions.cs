using Kv;
using Kv.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv in a service collection.</summary>
public static class KvServiceCollectionExtensions
{
    /// <summary>
    /// Registers Kv with the in-memory backend: one <see cref="MemoryKv"/> as <see cref="AtomicKvAdaptor"/>,
    /// <see cref="KvAdaptor"/> and <see cref="MemoryKv"/>, its hosted GC service, <see cref="TimeProvider.System"/>
    /// unless a <see cref="TimeProvider"/> is already registered, and options bound from the <c>Kv</c>
    /// configuration section and validated at start-up. Calling it again registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder to choose another backend or register namespaces.</returns>
    public static IKvBuilder AddKv(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new KvBuilder(services);
        if (services.Any(d => d.ServiceType == typeof(KvRegistrationMarker)))
        {
            return builder;
        }

        services.AddSingleton<KvRegistrationMarker>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<KvOptions>()
            .Configure<IServiceProvider>((options, sp) => sp.GetService<IConfiguration>()?.GetSection(KvOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.AddOptions<MemoryKvOptions>()
            .Configure<IServiceProvider>((options, sp) => sp.GetService<IConfiguration>()?.GetSection(MemoryKvOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MemoryKvOptions>, MemoryKvOptionsValidator>());

        services.TryAddSingleton(sp => new KvValueSerializer(sp.GetRequiredService<IOptions<KvOptions>>().Value.SerializerOptions));
        services.AddKvMetrics();
        services.TryAddSingleton(sp => new MemoryKv(
            sp.GetRequiredService<IOptions<MemoryKvOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<KvValueSerializer>())
        {
            Metrics = sp.GetService<KvMetrics>(),
        });

        return builder.UseMemory();
    }

    /// <summary>Registers Kv as <see cref="AddKv(IServiceCollection)"/> does, then configures <see cref="KvOptions"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder to choose another backend or register namespaces.</returns>
    public static IKvBuilder AddKv(this IServiceCollection services, Action<KvOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        IKvBuilder builder = services.AddKv();
        services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Makes <see cref="MemoryKv"/> the backend (it is the default after <c>AddKv()</c>) and, when
    /// <paramref name="configure"/> is given, configures its options.
    /// </summary>
    /// <param name="builder">The Kv builder.</param>
    /// <param name="configure">Configures the memory options; <see langword="null"/> to keep them.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseMemory(this IKvBuilder builder, Action<MemoryKvOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        builder.UseAdaptor(sp => sp.GetRequiredService<MemoryKv>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MemoryKvGcService>());
        return builder;
    }
}
