using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kv.Redis.Tests;

/// <summary><c>UseRedis</c> on a bare <see cref="ServiceCollection"/>: no AddLogging, no AddOptions, no host.</summary>
public abstract class RedisKvBareServiceCollectionTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    private readonly string _prefix = "bare-" + Guid.NewGuid().ToString("N")[..12] + ":";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => redis.DeleteKeysAsync(_prefix);

    [Fact]
    public async Task UseRedis_registers_logging_and_options_itself()
    {
        IServiceCollection services = new ServiceCollection();
        services.AddKv().UseRedis(o =>
        {
            o.Configuration = redis.Configuration;
            o.InstanceName = _prefix;
        });

        Assert.Contains(services, d => d.ServiceType == typeof(ILoggerFactory));
        Assert.Contains(services, d => d.ServiceType == typeof(IOptions<>));

        await using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Assert.NotNull(provider.GetRequiredService<ILogger<RedisKv>>());
        foreach (IHostedService service in provider.GetServices<IHostedService>())
        {
            Assert.NotNull(service);
        }

        AtomicKvAdaptor kv = provider.GetRequiredService<AtomicKvAdaptor>();
        await kv.Namespace("bare").SetAsync("k", 1);
        Assert.Equal(1, await kv.Namespace("bare").GetAsync<int>("k"));
    }
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisKvBareServiceCollectionTests(RedisServerFixture redis) : RedisKvBareServiceCollectionTests<RedisServerFixture>(redis);

/// <summary>The same tests on Garnet.</summary>
public sealed class GarnetKvBareServiceCollectionTests(GarnetServerFixture garnet) : RedisKvBareServiceCollectionTests<GarnetServerFixture>(garnet);
