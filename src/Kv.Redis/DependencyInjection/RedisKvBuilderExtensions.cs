using Kv;
using Kv.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the Redis backend for Kv: <c>services.AddKv().UseRedis(o =&gt; o.Configuration = "host:6379")</c>.</summary>
public static class RedisKvBuilderExtensions
{
    /// <summary>
    /// Makes <see cref="RedisKv"/> the application's <see cref="AtomicKvAdaptor"/> and <see cref="KvAdaptor"/> (one
    /// instance, also registered as <see cref="RedisKv"/>), replacing the backend chosen before (memory, by
    /// default). Options bind from the <c>Kv:Redis</c> configuration section and are validated at start-up. An
    /// <see cref="IConnectionMultiplexer"/> registered in dependency injection (by the application, or by Aspire's
    /// <c>AddRedisClient</c>) is used in preference to <see cref="RedisKvOptions.Configuration"/>, and never disposed
    /// by Kv. Registers the core (<c>AddKvCore()</c>: logging and options too), so a bare
    /// <see cref="ServiceCollection"/> is enough.
    /// </summary>
    /// <param name="builder">The Kv builder from <c>services.AddKv()</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseRedis(this IKvBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(RedisKvRegistrationMarker)))
        {
            services.AddSingleton<RedisKvRegistrationMarker>();
            builder.AddKvOptions<RedisKvOptions>(RedisKvOptions.SectionName);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisKvOptions>, RedisKvOptionsValidator>());
            services.TryAddSingleton(sp => new RedisKv(
                sp.GetRequiredService<IOptions<RedisKvOptions>>().Value,
                sp.GetService<IServiceProviderIsService>()?.IsService(typeof(IConnectionMultiplexer)) == true
                    ? () => sp.GetRequiredService<IConnectionMultiplexer>()
                    : null,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<KvValueSerializer>(),
                sp.GetService<ILoggerFactory>(),
                sp.GetService<KvMetrics>()));
        }

        return builder.UseAdaptor(sp => sp.GetRequiredService<RedisKv>());
    }

    /// <summary>Chooses the Redis backend as <see cref="UseRedis(IKvBuilder)"/> does, then configures its options.</summary>
    /// <param name="builder">The Kv builder from <c>services.AddKv()</c>.</param>
    /// <param name="configure">Configures the Redis options, after the <c>Kv:Redis</c> configuration section is bound.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseRedis(this IKvBuilder builder, Action<RedisKvOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        builder.UseRedis();
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Chooses the Redis backend as <see cref="UseRedis(IKvBuilder)"/> does, then binds its options from
    /// <paramref name="configuration"/> (for example <c>configuration.GetSection("Cache:Redis")</c>).</summary>
    /// <param name="builder">The Kv builder from <c>services.AddKv()</c>.</param>
    /// <param name="configuration">The configuration section holding <see cref="RedisKvOptions"/> keys
    /// (<c>Configuration</c>, <c>InstanceName</c>, <c>OperationTimeout</c>).</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseRedis(this IKvBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        builder.UseRedis();
        builder.Services.Configure<RedisKvOptions>(options => configuration.Bind(options));
        return builder;
    }
}
