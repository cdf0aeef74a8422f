using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>What a limiter takes from dependency injection: the store (from the registered adaptor), logs, clock, metrics.</summary>
internal readonly record struct KvRateLimitServices(IAtomicKvStore Store, ILoggerFactory? LoggerFactory, TimeProvider? TimeProvider, KvAspNetCoreMetrics? Metrics)
{
    public static KvRateLimitServices Resolve(IServiceProvider services, KvRateLimiterOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        AtomicKvAdaptor kv = services.GetService<AtomicKvAdaptor>() ?? throw new InvalidOperationException(
            "A Kv rate limiter takes its store from dependency injection, and no AtomicKvAdaptor is registered: call services.AddKv() "
            + "(and .UseRedis(...) for several instances), or pass a store to KvRateLimitPartition yourself.");
        return new(
            kv.Namespace(options.Namespace),
            services.GetService<ILoggerFactory>(),
            services.GetService<TimeProvider>(),
            KvAspNetCoreMetrics.Resolve(services));
    }
}
