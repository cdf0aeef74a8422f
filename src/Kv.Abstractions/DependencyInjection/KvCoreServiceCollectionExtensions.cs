using Kv;
using Kv.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the backend-independent part of Kv. Applications call <c>services.AddKv()</c> (package Kv), which
/// calls this and makes memory the default backend; backend packages and their tests build on it.
/// </summary>
public static class KvCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers what every backend shares, without choosing a backend: logging and options (so a bare
    /// <see cref="ServiceCollection"/> works), <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is
    /// already registered, <see cref="KvOptions"/> bound from the <c>Kv</c> configuration section and validated at
    /// start-up, the <see cref="KvValueSerializer"/>, the Kv metrics, <see cref="KvAdaptor"/> as an alias of the chosen
    /// <see cref="AtomicKvAdaptor"/>, and the one hosted GC service that calls
    /// <see cref="KvAdaptor.CollectExpiredAsync"/> every <see cref="KvAdaptor.CollectionInterval"/>. Calling it again
    /// registers nothing twice. A backend is chosen with <see cref="KvBuilderExtensions.UseAdaptor"/> (what
    /// <c>UseMemory</c>, <c>UseRedis</c> and <c>UseSqlite</c> call).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder to choose a backend or register namespaces.</returns>
    public static IKvBuilder AddKvCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new KvBuilder(services);
        if (services.Any(d => d.ServiceType == typeof(KvCoreRegistrationMarker)))
        {
            return builder;
        }

        services.AddSingleton<KvCoreRegistrationMarker>();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.AddKvOptions<KvOptions>(KvOptions.SectionName);
        services.TryAddSingleton(sp => new KvValueSerializer(sp.GetRequiredService<IOptions<KvOptions>>().Value.SerializerOptions));
        services.AddKvMetrics();
        services.TryAddSingleton<KvAdaptor>(sp => sp.GetRequiredService<AtomicKvAdaptor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KvCollectionService>());
        return builder;
    }

    /// <summary>
    /// Registers options of type <typeparamref name="TOptions"/> the way every Kv backend does: bound from
    /// <paramref name="sectionName"/> of the application's <see cref="IConfiguration"/> (when one is registered) with
    /// the framework's configuration binder, and validated (at start-up, by default) by every registered
    /// <see cref="IValidateOptions{TOptions}"/>.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="builder">The Kv builder.</param>
    /// <param name="sectionName">The configuration section, e.g. <c>Kv:Redis</c>.</param>
    /// <param name="validateOnStart">Whether the host validates the options when it starts (the default); otherwise
    /// they are validated when first read.</param>
    /// <returns>The options builder, to add validation or configuration.</returns>
    public static OptionsBuilder<TOptions> AddKvOptions<TOptions>(this IKvBuilder builder, string sectionName, bool validateOnStart = true)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Services.AddKvOptions<TOptions>(sectionName, validateOnStart);
    }

    /// <summary>
    /// Registers options of type <typeparamref name="TOptions"/> as <see cref="AddKvOptions{TOptions}(IKvBuilder, string, bool)"/>
    /// does, for registrations that extend the service collection rather than the Kv builder (the cache, the locks, the
    /// output cache).
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="sectionName">The configuration section, e.g. <c>Kv:Locks</c>.</param>
    /// <param name="validateOnStart">Whether the host validates the options when it starts (the default); otherwise
    /// they are validated when first read.</param>
    /// <returns>The options builder, to add validation or configuration.</returns>
    public static OptionsBuilder<TOptions> AddKvOptions<TOptions>(this IServiceCollection services, string sectionName, bool validateOnStart = true)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(sectionName);
        OptionsBuilder<TOptions> options = services.AddOptions<TOptions>();
        if (!services.Any(d => d.ServiceType == typeof(KvOptionsSectionMarker<TOptions>)))
        {
            services.AddSingleton<KvOptionsSectionMarker<TOptions>>();
            options.Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(sectionName).Bind(o));
        }

        return validateOnStart ? options.ValidateOnStart() : options;
    }
}
