using Kv;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Persists the Data Protection key ring in Kv (<see cref="KvXmlRepository"/>). In the dependency-injection namespace,
/// like <c>AddDataProtection()</c> itself, so no extra <c>using</c> is needed.
/// </summary>
public static class KvDataProtectionBuilderExtensions
{
    /// <summary>The namespace <see cref="PersistKeysToKv(IDataProtectionBuilder, string)"/> uses by default: <c>dataprotection</c>.</summary>
    public const string DefaultNamespace = "dataprotection";

    /// <summary>
    /// Persists the key ring in the namespace <paramref name="namespace"/> (default <c>dataprotection</c>) of the
    /// application's registered <see cref="KvAdaptor"/>, so every instance on the same store shares it, as
    /// <c>PersistKeysToStackExchangeRedis</c> does. Give every instance the same application name
    /// (<c>SetApplicationName</c>). The keys are stored unencrypted unless the application also calls a
    /// <c>ProtectKeysWith…</c> method.
    /// </summary>
    /// <param name="builder">The Data Protection builder.</param>
    /// <param name="namespace">The namespace of the key ring; it should hold nothing else.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="KvException">The namespace name is invalid.</exception>
    public static IDataProtectionBuilder PersistKeysToKv(this IDataProtectionBuilder builder, string @namespace = DefaultNamespace)
    {
        ArgumentNullException.ThrowIfNull(builder);
        KvKeyRules.ValidateNamespace(@namespace);
        return builder.PersistKeysToKv(sp => sp.GetRequiredService<KvAdaptor>().Namespace(@namespace));
    }

    /// <summary>
    /// Persists the key ring in the store that <paramref name="storeFactory"/> returns (called once, when Data Protection
    /// first needs its options), e.g. a namespace of another adaptor. See <see cref="PersistKeysToKv(IDataProtectionBuilder, string)"/>.
    /// </summary>
    /// <param name="builder">The Data Protection builder.</param>
    /// <param name="storeFactory">Returns the namespace of the key ring; it should hold nothing else.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IDataProtectionBuilder PersistKeysToKv(this IDataProtectionBuilder builder, Func<IServiceProvider, IKvStore> storeFactory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(storeFactory);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new KvXmlRepository(storeFactory(sp), sp.GetService<ILoggerFactory>())));
        return builder;
    }
}
