using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Kv.Redis.Tests;

/// <summary><c>services.AddKv().UseRedis(...)</c>: registration, options, and whose multiplexer is used and disposed.</summary>
public abstract class RedisKvServiceCollectionTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    // Every key a test writes starts with this, so a shared server (KV_TEST_REDIS) is left clean.
    private readonly string _prefix = "di-" + Guid.NewGuid().ToString("N")[..12] + ":";

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => redis.DeleteKeysAsync(_prefix);

    [Fact]
    public async Task UseRedis_replaces_the_memory_backend_and_leaves_no_gc_pass_to_run()
    {
        IServiceCollection services = new ServiceCollection();
        services.AddKv().UseRedis(o => o.Configuration = redis.Configuration);

        await using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        RedisKv kv = Assert.IsType<RedisKv>(provider.GetRequiredService<AtomicKvAdaptor>());
        Assert.Same(kv, provider.GetRequiredService<KvAdaptor>());
        Assert.Same(kv, provider.GetRequiredService<RedisKv>());
        Assert.Single(services, d => d.ServiceType == typeof(AtomicKvAdaptor));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(MemoryKv) && d.ImplementationInstance is not null);

        // The one hosted GC service of the core serves whichever backend is chosen; Redis frees expired values itself,
        // so it has no periodic pass (CollectionInterval is null) and the service runs nothing.
        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Null(kv.CollectionInterval);
    }

    [Fact]
    public async Task UseRedis_in_a_host_starts_and_serves_requests()
    {
        using IHost host = new HostBuilder()
            .ConfigureServices(services => services.AddKv().UseRedis(o =>
            {
                o.Configuration = redis.Configuration;
                o.InstanceName = _prefix;
            }))
            .Build();
        await host.StartAsync();

        IAtomicKvStore store = host.Services.GetRequiredService<AtomicKvAdaptor>().Namespace("app");
        await store.SetAsync("k", "v");
        Assert.Equal("v", await store.GetAsync<string>("k"));
        // Redis frees expired values itself: the one GC service has no periodic pass to run for it.
        Assert.Null(host.Services.GetRequiredService<AtomicKvAdaptor>().CollectionInterval);

        await host.StopAsync();
    }

    [Fact]
    public async Task Calling_UseRedis_twice_registers_it_once()
    {
        IServiceCollection services = new ServiceCollection();
        services.AddKv().UseRedis(o => o.Configuration = redis.Configuration).UseRedis(o => o.InstanceName = _prefix);

        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(AtomicKvAdaptor));
        Assert.Single(services, d => d.ServiceType == typeof(RedisKv));
        Assert.Single(provider.GetServices<IValidateOptions<RedisKvOptions>>());
        Assert.Equal(_prefix, provider.GetRequiredService<RedisKv>().InstanceName);
    }

    [Fact]
    public async Task Options_bind_from_the_Kv_Redis_configuration_section()
    {
        IServiceCollection services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kv:Redis:Configuration"] = redis.Configuration,
                ["Kv:Redis:InstanceName"] = _prefix,
                ["Kv:Redis:OperationTimeout"] = "00:00:03",
            })
            .Build());
        services.AddKv().UseRedis();

        await using ServiceProvider provider = services.BuildServiceProvider();
        RedisKv kv = provider.GetRequiredService<RedisKv>();

        Assert.Equal(_prefix, kv.InstanceName);
        Assert.Equal(TimeSpan.FromSeconds(3), kv.OperationTimeout);
        await kv.Namespace("cfg").SetAsync("k", 1);
        Assert.Equal(1, await kv.Namespace("cfg").GetAsync<int>("k"));
    }

    [Fact]
    public async Task Options_bind_from_a_given_configuration_section_and_code_configures_last()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cache:Redis:Configuration"] = redis.Configuration,
                ["Cache:Redis:InstanceName"] = _prefix,
            })
            .Build();
        IServiceCollection services = new ServiceCollection();
        services.AddKv().UseRedis(configuration.GetSection("Cache:Redis")).UseRedis(o => o.OperationTimeout = TimeSpan.FromSeconds(7));

        await using ServiceProvider provider = services.BuildServiceProvider();
        RedisKv kv = provider.GetRequiredService<RedisKv>();

        Assert.Equal(_prefix, kv.InstanceName);
        Assert.Equal(TimeSpan.FromSeconds(7), kv.OperationTimeout);
    }

    [Fact]
    public async Task A_multiplexer_registered_in_DI_is_used_and_not_disposed()
    {
        ConnectionMultiplexer appMultiplexer = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        try
        {
            IServiceCollection services = new ServiceCollection();
            services.AddSingleton<IConnectionMultiplexer>(appMultiplexer);
            services.AddKv().UseRedis(o => o.InstanceName = _prefix); // No connection settings: only the app's multiplexer can serve.

            await using (ServiceProvider provider = services.BuildServiceProvider())
            {
                IAtomicKvStore store = provider.GetRequiredService<AtomicKvAdaptor>().Namespace("shared");
                await store.SetAsync("k", "v");
                Assert.Equal("\"v\"", (string?)await appMultiplexer.GetDatabase().StringGetAsync(_prefix + "{shared}::k"));
            }

            // The provider (and Kv with it) is gone; the application's multiplexer is still open and working.
            Assert.True(appMultiplexer.IsConnected);
            Assert.Equal("\"v\"", (string?)await appMultiplexer.GetDatabase().StringGetAsync(_prefix + "{shared}::k"));
        }
        finally
        {
            appMultiplexer.Dispose();
        }
    }

    [Fact]
    public async Task A_multiplexer_from_the_factory_is_used_and_not_disposed()
    {
        ConnectionMultiplexer appMultiplexer = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        try
        {
            int calls = 0;
            var kv = new RedisKv(new RedisKvOptions
            {
                InstanceName = _prefix,
                ConnectionMultiplexerFactory = () =>
                {
                    Interlocked.Increment(ref calls);
                    return Task.FromResult<IConnectionMultiplexer>(appMultiplexer);
                },
            });
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i => kv.Namespace("factory").SetAsync("k" + i, i).AsTask()));
            await kv.DisposeAsync();

            Assert.Equal(1, calls);
            Assert.True(appMultiplexer.IsConnected);
            Assert.Equal("19", (string?)await appMultiplexer.GetDatabase().StringGetAsync(_prefix + "{factory}::k19"));
        }
        finally
        {
            appMultiplexer.Dispose();
        }
    }

    [Fact]
    public async Task A_multiplexer_registered_in_DI_wins_over_connection_settings_and_a_warning_says_so()
    {
        string clientName = "kv-app-" + Guid.NewGuid().ToString("N")[..8];
        string ignoredName = "kv-ignored-" + Guid.NewGuid().ToString("N")[..8];
        ConnectionMultiplexer appMultiplexer = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",name=" + clientName);
        try
        {
            var logs = new ListLoggerProvider();
            IServiceCollection services = new ServiceCollection();
            services.AddLogging(b => b.AddProvider(logs));
            services.AddSingleton<IConnectionMultiplexer>(appMultiplexer);
            services.AddKv().UseRedis(o =>
            {
                o.Configuration = redis.Configuration + ",name=" + ignoredName;
                o.InstanceName = _prefix;
            });
            await using RespConnection cli = await RespConnection.ConnectAsync(redis.EndPoint);

            await using (ServiceProvider provider = services.BuildServiceProvider())
            {
                await provider.GetRequiredService<AtomicKvAdaptor>().Namespace("shared").SetAsync("k", 1);

                Assert.DoesNotContain(" name=" + ignoredName + " ", await cli.CommandTextAsync("CLIENT", "LIST"), StringComparison.Ordinal);
                Assert.Contains(logs.Events, e => e.EventId.Id == 2007);
            }

            Assert.True(appMultiplexer.IsConnected);
        }
        finally
        {
            appMultiplexer.Dispose();
        }
    }

    [Fact]
    public async Task The_multiplexer_Kv_creates_is_disposed_with_the_provider()
    {
        string clientName = "kv-owned-" + Guid.NewGuid().ToString("N")[..8];
        IServiceCollection services = new ServiceCollection();
        services.AddKv().UseRedis(o =>
        {
            o.Configuration = redis.Configuration + ",name=" + clientName;
            o.InstanceName = _prefix;
        });
        await using RespConnection cli = await RespConnection.ConnectAsync(redis.EndPoint);

        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<AtomicKvAdaptor>().Namespace("owned").SetAsync("k", 1);
            Assert.Contains("name=" + clientName, await cli.CommandTextAsync("CLIENT", "LIST"), StringComparison.Ordinal);
        }

        // Closed with the provider. The server drops the client as soon as it sees the socket close (bounded wait).
        bool listed = true;
        for (int i = 0; i < 300 && listed; i++)
        {
            listed = (await cli.CommandTextAsync("CLIENT", "LIST"))!.Contains("name=" + clientName, StringComparison.Ordinal);
            if (listed)
            {
                await Task.Delay(20);
            }
        }

        Assert.False(listed, "Kv's own multiplexer is closed when the provider is disposed.");
    }

    [Fact]
    public async Task The_application_TimeProvider_places_expiry_instants()
    {
        // The fake starts on 2000-01-01, years from the server's clock: an instant placed on Redis's clock instead
        // would fall far outside the range.
        var clock = new FakeTimeProvider();
        IServiceCollection services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddKv().UseRedis(o =>
        {
            o.Configuration = redis.Configuration;
            o.InstanceName = _prefix;
        });

        await using ServiceProvider provider = services.BuildServiceProvider();
        IAtomicKvStore store = provider.GetRequiredService<AtomicKvAdaptor>().Namespace("clock");
        await store.SetAsync("k", 1, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));

        DateTimeOffset expiresAt = (await store.GetEntryAsync<int>("k"))!.ExpiresAt!.Value;
        Assert.InRange(expiresAt, clock.GetUtcNow() + TimeSpan.FromMinutes(59), clock.GetUtcNow() + TimeSpan.FromHours(1));
    }

    public static TheoryData<string, Action<RedisKvOptions>> InvalidOptions => new()
    {
        { "no connection", o => { } },
        { "zero timeout", o => { o.Configuration = "127.0.0.1:1"; o.OperationTimeout = TimeSpan.Zero; } },
        { "negative timeout", o => { o.Configuration = "127.0.0.1:1"; o.OperationTimeout = TimeSpan.FromSeconds(-1); } },
        { "huge timeout", o => { o.Configuration = "127.0.0.1:1"; o.OperationTimeout = TimeSpan.FromDays(1); } },
        { "bad configuration string", o => o.Configuration = "127.0.0.1:1,noSuchOption=1" },
        { "configuration without endpoint", o => o.Configuration = "ssl=true" },
        { "configuration options without endpoint", o => o.ConfigurationOptions = new ConfigurationOptions() },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task Invalid_options_fail_at_start_up(string problem, Action<RedisKvOptions> configure)
    {
        using IHost host = new HostBuilder()
            .ConfigureServices(services => services.AddKv().UseRedis(configure))
            .Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Kv:Redis", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(problem);
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_options_fail_the_constructor(string problem, Action<RedisKvOptions> configure)
    {
        var options = new RedisKvOptions();
        configure(options);

        Assert.Throws<ArgumentException>(() => new RedisKv(options));
        Assert.NotEmpty(problem);
    }

    [Fact]
    public async Task Connection_settings_are_not_needed_when_the_app_registers_a_multiplexer()
    {
        using IHost host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis.Configuration));
                services.AddKv().UseRedis();
            })
            .Build();

        await host.StartAsync();
        await host.StopAsync();
    }
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisKvServiceCollectionTests(RedisServerFixture redis) : RedisKvServiceCollectionTests<RedisServerFixture>(redis);

/// <summary>The same tests on Garnet.</summary>
public sealed class GarnetKvServiceCollectionTests(GarnetServerFixture garnet) : RedisKvServiceCollectionTests<GarnetServerFixture>(garnet);
