using Kv;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Kv in a service collection: <c>services.AddKv()</c>.</summary>
public static class KvServiceCollectionExtensions
{
    /// <summary>
    /// Registers Kv (<c>AddKvCore()</c>: the serializer, options bound from the <c>Kv</c> section and validated at
    /// start-up, metrics, the hosted GC service, <see cref="TimeProvider.System"/> unless a clock is registered) with
    /// the in-memory backend as the default: unless another backend is chosen (<c>UseRedis</c>, <c>UseSqlite</c>,
    /// <c>UseAdaptor</c>), one <see cref="MemoryKv"/> is the <see cref="AtomicKvAdaptor"/>, <see cref="KvAdaptor"/> and
    /// <see cref="MemoryKv"/>, with its options bound from the <c>Kv:Memory</c> section and validated when it is created
    /// (at start-up, by the GC service). An application that chooses another backend never creates the memory
    /// adaptor, so nothing of memory's runs and its options are never bound or validated. Calling it again registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder to choose another backend or register namespaces.</returns>
    public static IKvBuilder AddKv(this IServiceCollection services)
    {
        IKvBuilder builder = services.AddKvCore();

        // The default backend: lazy registrations that another backend's UseAdaptor replaces.
        MemoryKvBuilderExtensions.AddAsDefault(builder);
        return builder;
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
}
