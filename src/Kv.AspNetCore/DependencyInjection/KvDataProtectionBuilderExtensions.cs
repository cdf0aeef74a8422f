using Kv;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Persists the Data Protection key ring to Kv.</summary>
public static class KvDataProtectionBuilderExtensions
{
    /// <summary>The namespace <see cref="PersistKeysToKv(IDataProtectionBuilder, string)"/> uses when none is given.</summary>
    public const string DefaultNamespace = "dataprotection";

    /// <summary>
    /// Keeps the key ring in the namespace <paramref name="namespaceName"/> of the application's <see cref="KvAdaptor"/>
    /// (register one with <c>services.AddKv()</c>), through <see cref="KvXmlRepository"/>. The keys are stored as Data
    /// Protection hands them over: in plain text unless a key encryptor (<c>ProtectKeysWith…</c>) is added too.
    /// </summary>
    /// <param name="builder">The Data Protection builder.</param>
    /// <param name="namespaceName">The Kv namespace; default <c>dataprotection</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IDataProtectionBuilder PersistKeysToKv(this IDataProtectionBuilder builder, string namespaceName = DefaultNamespace)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(namespaceName);
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(
            options => options.XmlRepository = new KvXmlRepository(sp.GetRequiredService<KvAdaptor>().Namespace(namespaceName))));
        return builder;
    }
}
