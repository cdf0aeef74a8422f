using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Conformance;
using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.Observability;

/// <summary><c>AddHealthChecks().AddKv()</c> on memory and on a Redis server this class starts, stops and restarts.</summary>
public sealed class KvHealthCheckTests(OwnRedisServerFixture redis) : IClassFixture<OwnRedisServerFixture>
{
    [Fact]
    public async Task Memory_backend_is_healthy()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKv();
        services.AddHealthChecks().AddKv();
        await using ServiceProvider provider = services.BuildServiceProvider();

        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal("memory", report.Entries["kv"].Data["backend"]);
    }

    [Fact]
    public async Task Redis_is_healthy_then_unhealthy_while_stopped_then_healthy_again()
    {
        using var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddLogging();
        services.AddKv().UseRedis(o =>
        {
            o.Configuration = redis.EndPoint;
            o.OperationTimeout = TimeSpan.FromSeconds(2);
        });
        services.AddHealthChecks().AddKv(name: "store", tags: ["ready"]);
        await using ServiceProvider provider = services.BuildServiceProvider();
        HealthCheckService health = provider.GetRequiredService<HealthCheckService>();

        HealthReport up = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal("redis", up.Entries["store"].Data["backend"]);
        Assert.Contains("ready", up.Entries["store"].Tags);

        await redis.Server.StopAsync();
        HealthReport down;
        try
        {
            down = await health.CheckHealthAsync();
        }
        finally
        {
            await redis.Server.RestartAsync();
        }

        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.IsType<KvException>(down.Entries["store"].Exception);
        Assert.Contains(logs.Events, e => e.EventId.Id == 4004 && e.Level == LogLevel.Warning);

        HealthReport back = default!;
        for (int i = 0; i < 100; i++)
        {
            back = await health.CheckHealthAsync();
            if (back.Status == HealthStatus.Healthy)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal(HealthStatus.Healthy, back.Status);
    }

    [Fact]
    public async Task Redis_with_an_evicting_maxmemory_policy_is_Degraded_and_logged_and_healthy_again_under_noeviction()
    {
        using var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddLogging();
        services.AddKv().UseRedis(o => o.Configuration = redis.EndPoint);
        services.AddHealthChecks().AddKv();
        await using ServiceProvider provider = services.BuildServiceProvider();
        HealthCheckService health = provider.GetRequiredService<HealthCheckService>();
        await using var cli = await RespConnection.ConnectAsync(redis.EndPoint);

        Assert.Equal("OK", await cli.CommandTextAsync("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"));
        try
        {
            HealthReport evicting = await health.CheckHealthAsync();
            Assert.Equal(HealthStatus.Degraded, evicting.Status);
            Assert.Contains("allkeys-lru", evicting.Entries["kv"].Description, StringComparison.Ordinal);
            Assert.Contains("noeviction", evicting.Entries["kv"].Description, StringComparison.Ordinal);

            // The adaptor connected during that check, and logged the same problem once it read the policy.
            await Eventually.TrueAsync(
                () => logs.Events.Any(e => e.EventId.Id == 2008 && e.Level == LogLevel.Warning),
                "the eviction-policy warning is logged after connecting");
        }
        finally
        {
            Assert.Equal("OK", await cli.CommandTextAsync("CONFIG", "SET", "maxmemory-policy", "noeviction"));
        }

        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
    }

    [Fact]
    public async Task Redis_operations_are_measured_with_the_redis_backend_tag()
    {
        using var metrics = new KvMetrics(meterFactory: null);
        using var collector = new MetricCollector(metrics.Meter);
        await using RedisKv kv = redis.CreateAdaptor(OwnRedisServerFixture.NewInstanceName(), metrics: metrics);

        await kv.Namespace("m").SetAsync("k", 1);
        await kv.Namespace("m").GetAsync<int>("k");
        await kv.Namespace("m").GetAsync<int>("nope");

        const string Duration = "db.client.operation.duration";
        Assert.Equal(1, collector.Count(Duration, ("db.system.name", "redis"), ("db.operation.name", "set")));
        Assert.Equal(2, collector.Count(Duration, ("db.system.name", "redis"), ("db.operation.name", "get")));
        Assert.DoesNotContain(collector.Of(Duration), m => m.Tags.ContainsKey("error.type"));
        Assert.Equal(1, collector.Sum("kv.hits", ("db.system.name", "redis")));
        Assert.Equal(1, collector.Sum("kv.misses", ("db.system.name", "redis")));
        Assert.All(collector.Of(Duration), m => Assert.True(m.Value >= 0));
    }
}
