
namespace WebApp.Services;

/// <summary>The framework services that need state shared by every instance, kept in Kv.</summary>
public static class ScaleOutServiceCollectionExtensions
{
    /// <summary>The output-cache tag of <c>/api/scaleout/clock</c>.</summary>
    public const string ClockTag = "clock";

    /// <summary>
    /// Output caching on Kv (namespace <c>outputcache</c>), and HybridCache, whose second level
    /// is the application's <c>IDistributedCache</c>: Kv's, registered by <c>AddKvDistributedCache</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddSampleScaleOut(this IServiceCollection services)
    {
        services.AddOutputCache(o => o.AddPolicy("clock", p => p.Expire(TimeSpan.FromMinutes(1)).Tag(ClockTag)));
        services.AddKvOutputCache();
        services.AddHybridCache();
        return services;
    }
}
