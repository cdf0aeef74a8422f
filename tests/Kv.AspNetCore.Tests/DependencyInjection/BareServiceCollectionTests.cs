using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.DependencyInjection;

/// <summary>
/// Every Kv registration works on a bare <see cref="ServiceCollection"/>, as <c>AddHttpClient</c> and
/// <c>AddHealthChecks</c> do: a console app or a test that never called <c>AddLogging()</c> or <c>AddOptions()</c>
/// can resolve every Kv service and every hosted service Kv registered.
/// </summary>
public sealed class BareServiceCollectionTests
{
    [Fact]
    public async Task Every_Kv_registration_resolves_on_a_bare_service_collection()
    {
        var services = new ServiceCollection();
        services.AddKv().AddNamespace("app");
        services.AddKvDistributedCache();
        services.AddKvDistributedLocks();
        services.AddKvMetrics();
        services.AddHealthChecks().AddKv();
        services.AddRateLimiter(o => o.AddKvFixedWindowLimiter("fixed", l => { l.PermitLimit = 1; l.Window = TimeSpan.FromMinutes(1); }));
        await using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // Kv's GC service and the health checks' publisher: each resolves and starts.
        IHostedService[] hosted = [.. provider.GetServices<IHostedService>()];
        Assert.NotEmpty(hosted);
        foreach (IHostedService service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
            await service.StopAsync(CancellationToken.None);
        }

        Assert.NotNull(provider.GetRequiredService<AtomicKvAdaptor>());
        Assert.NotNull(provider.GetRequiredKeyedService<IAtomicKvStore>("app"));
        Assert.IsType<KvDistributedCache>(provider.GetRequiredService<IDistributedCache>());
        Assert.NotNull(provider.GetRequiredService<KvDistributedLockProvider>());
        Assert.NotNull(provider.GetRequiredService<IOptions<RateLimiterOptions>>().Value);
        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }
}
