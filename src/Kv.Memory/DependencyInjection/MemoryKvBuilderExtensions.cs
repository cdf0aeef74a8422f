using Kv;
using Kv.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the in-memory backend for Kv: <c>services.AddKv().UseMemory(o =&gt; o.MaxEntries = 100_000)</c>.</summary>
public static class MemoryKvBuilderExtensions
{
    /// <summary>
    /// Makes <see cref="MemoryKv"/> the backend (one instance, registered as <see cref="AtomicKvAdaptor"/>,
    /// <see cref="KvAdaptor"/> and <see cref="MemoryKv"/>), with options bound from the <c>Kv:Memory</c> configuration
    /// section and validated at start-up, and, when <paramref name="configure"/> is given, configured by it. Memory is
    /// also the default backend of <c>services.AddKv()</c>; call this to configure it in code or to validate its
    /// options at start-up. The hosted GC service runs a pass every <see cref="MemoryKvOptions.GcInterval"/>.
    /// </summary>
    /// <param name="builder">The Kv builder.</param>
    /// <param name="configure">Configures the memory options; <see langword="null"/> to keep them.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseMemory(this IKvBuilder builder, Action<MemoryKvOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OptionsBuilder<MemoryKvOptions> options = RegisterOptions(builder).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.RemoveAll<MemoryKv>();
        builder.Services.AddSingleton(Create);
        return builder.UseAdaptor(sp => sp.GetRequiredService<MemoryKv>());
    }

    /// <summary>
    /// Registers memory as the default backend of <c>services.AddKv()</c>: lazy registrations that another backend's
    /// <c>UseAdaptor</c> replaces. The options are bound and validated only when the adaptor is created (at start-up,
    /// by the GC service), so an application that chooses another backend validates nothing of memory's.
    /// </summary>
    /// <param name="builder">The Kv builder.</param>
    internal static void AddAsDefault(IKvBuilder builder)
    {
        RegisterOptions(builder);
        builder.Services.TryAddSingleton(Create);
        builder.Services.TryAddSingleton<AtomicKvAdaptor>(sp => sp.GetRequiredService<MemoryKv>());
    }

    private static OptionsBuilder<MemoryKvOptions> RegisterOptions(IKvBuilder builder)
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MemoryKvOptions>, MemoryKvOptionsValidator>());
        return builder.AddKvOptions<MemoryKvOptions>(MemoryKvOptions.SectionName, validateOnStart: false);
    }

    private static MemoryKv Create(IServiceProvider services) =>
        new(
            services.GetRequiredService<IOptions<MemoryKvOptions>>().Value,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<KvValueSerializer>(),
            services.GetService<KvMetrics>());
}
