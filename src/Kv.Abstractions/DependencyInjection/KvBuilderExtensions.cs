using Kv;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Backend-independent extensions of <see cref="IKvBuilder"/>.</summary>
public static class KvBuilderExtensions
{
    /// <summary>
    /// Registers the store of the top-level namespace <paramref name="name"/> as a keyed service under the key
    /// <paramref name="name"/>, as both <see cref="IAtomicKvStore"/> and <see cref="IKvStore"/>, so a constructor
    /// can take it with <c>[FromKeyedServices("name")] IAtomicKvStore store</c>.
    /// </summary>
    /// <param name="builder">The Kv builder.</param>
    /// <param name="name">The namespace name; validated now.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="KvException">The name is not a valid namespace name.</exception>
    public static IKvBuilder AddNamespace(this IKvBuilder builder, string name)
    {
        KvKeyRules.ValidateNamespace(name);
        return builder.AddNamespace(name, adaptor => adaptor.Namespace(name));
    }

    /// <summary>
    /// Registers the store <paramref name="factory"/> returns (for instance a nested namespace) as a keyed
    /// service under <paramref name="serviceKey"/>, as both <see cref="IAtomicKvStore"/> and <see cref="IKvStore"/>.
    /// </summary>
    /// <param name="builder">The Kv builder.</param>
    /// <param name="serviceKey">The service key to inject the store with.</param>
    /// <param name="factory">Takes the store from the adaptor, e.g. <c>kv =&gt; kv.Namespace("tenants").Namespace("acme")</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder AddNamespace(this IKvBuilder builder, string serviceKey, Func<AtomicKvAdaptor, IAtomicKvStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddKeyedSingleton<IAtomicKvStore>(serviceKey, (sp, _) => factory(sp.GetRequiredService<AtomicKvAdaptor>()));
        builder.Services.AddKeyedSingleton<IKvStore>(serviceKey, (sp, key) => sp.GetRequiredKeyedService<IAtomicKvStore>(key));
        return builder;
    }

    /// <summary>
    /// Makes <paramref name="factory"/>'s adaptor the application's <see cref="AtomicKvAdaptor"/> (and so its
    /// <see cref="KvAdaptor"/>), replacing the backend chosen before (memory, by default). It registers nothing else:
    /// the one hosted GC service of <c>AddKvCore()</c> asks whichever adaptor is chosen for its
    /// <see cref="KvAdaptor.CollectionInterval"/>, so no other backend's background work is left running. For backend
    /// authors: <c>UseMemory</c>, <c>UseRedis</c> and <c>UseSqlite</c> are built on it.
    /// </summary>
    /// <typeparam name="TAdaptor">The adaptor type.</typeparam>
    /// <param name="builder">The Kv builder.</param>
    /// <param name="factory">Creates the adaptor (called once; the adaptor is a singleton, disposed by the container
    /// when it implements <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/>).</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseAdaptor<TAdaptor>(this IKvBuilder builder, Func<IServiceProvider, TAdaptor> factory)
        where TAdaptor : AtomicKvAdaptor
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddKvCore();
        builder.Services.RemoveAll<AtomicKvAdaptor>();
        builder.Services.AddSingleton<AtomicKvAdaptor>(factory);
        return builder;
    }
}
