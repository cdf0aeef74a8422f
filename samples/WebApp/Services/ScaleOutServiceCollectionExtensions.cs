using Microsoft.AspNetCore.DataProtection;

namespace WebApp.Services;

/// <summary>The framework services that need state shared by every instance, kept in Kv.</summary>
public static class ScaleOutServiceCollectionExtensions
{
    /// <summary>The output-cache tag of <c>/api/scaleout/clock</c>.</summary>
    public const string ClockTag = "clock";

    /// <summary>
    /// Output caching on Kv (namespace <c>outputcache</c>), HybridCache, whose second level is the application's
    /// <c>IDistributedCache</c> (Kv's, registered by <c>AddKvDistributedCache</c>), and the Data Protection key ring in Kv
    /// (namespace <c>dataprotection</c>), so a session cookie issued by one instance is read by every other.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddSampleScaleOut(this IServiceCollection services)
    {
        services.AddOutputCache(o => o.AddPolicy("clock", p => p.Expire(TimeSpan.FromMinutes(1)).Tag(ClockTag)));
        services.AddKvOutputCache();
        services.AddHybridCache();

        // One application name for every instance (the default is the content root path, which may differ), and the
        // key ring in Kv. Kv stores the keys as they are: add ProtectKeysWith... to encrypt them at rest.
        services.AddDataProtection().SetApplicationName("Kv.WebApp").PersistKeysToKv();
        return services;
    }
}
