using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.Redis.Tests;

/// <summary>
/// Atomicity across application instances: each "instance" is a service provider of its own, with its own
/// <see cref="RedisKv"/> and its own multiplexer, all on one Redis.
/// </summary>
public abstract class RedisKvConcurrencyTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    private const int Instances = 4;

    private readonly string _instanceName = "conc-" + Guid.NewGuid().ToString("N")[..12] + ":";
    private readonly List<ServiceProvider> _providers = [];

    private IAtomicKvStore[] Stores { get; set; } = [];

    public Task InitializeAsync()
    {
        for (int i = 0; i < Instances; i++)
        {
            ServiceProvider provider = new ServiceCollection()
                .AddKv().UseRedis(o =>
                {
                    o.Configuration = redis.Configuration;
                    o.InstanceName = _instanceName;
                }).Services
                .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
            _providers.Add(provider);
        }

        Stores = [.. _providers.Select(p => p.GetRequiredService<AtomicKvAdaptor>().Namespace("counters"))];
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (ServiceProvider provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await redis.DeleteKeysAsync(_instanceName);
    }

    [Fact]
    public void Every_instance_has_its_own_adaptor()
    {
        Assert.Equal(Instances, _providers.Select(p => p.GetRequiredService<AtomicKvAdaptor>()).Distinct().Count());
        Assert.All(_providers, p => Assert.IsType<RedisKv>(p.GetRequiredService<AtomicKvAdaptor>()));
    }

    [Fact]
    public async Task Four_instances_incrementing_one_key_concurrently_lose_nothing()
    {
        const int perInstance = 250;

        long[] results = await Task.WhenAll(Enumerable.Range(0, Instances * perInstance)
            .Select(i => Stores[i % Instances].IncrementAsync("hits").AsTask()));

        Assert.Equal(Instances * perInstance, await Stores[0].GetAsync<long>("hits"));

        // Every increment saw a different value: none was lost or applied twice.
        Assert.Equal(Enumerable.Range(1, Instances * perInstance).Select(i => (long)i), results.Order());
    }

    [Fact]
    public async Task Concurrent_increments_with_a_ttl_create_the_key_once_and_keep_its_ttl()
    {
        KvSetOptions window = KvSetOptions.WithTtl(TimeSpan.FromMinutes(1));

        long[] results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => Stores[i % Instances].IncrementAsync("window", 1, window).AsTask()));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Order());
        KvEntry<long>? entry = await Stores[1].GetEntryAsync<long>("window");
        Assert.Equal(200, entry!.Value);
        Assert.NotNull(entry.ExpiresAt);
    }

    [Fact]
    public async Task Sixty_four_concurrent_set_if_not_exists_across_instances_have_exactly_one_winner()
    {
        KvSetOptions lease = KvSetOptions.WithTtl(TimeSpan.FromMinutes(1));

        bool[] won = await Task.WhenAll(Enumerable.Range(0, 64)
            .Select(i => Stores[i % Instances].SetIfNotExistsAsync("lock", i, lease).AsTask()));

        int winner = Assert.Single(Enumerable.Range(0, 64), i => won[i]);
        KvEntry<int>? entry = await Stores[3].GetEntryAsync<int>("lock");
        Assert.Equal(winner, entry!.Value);
        Assert.NotNull(entry.ExpiresAt);
    }
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisKvConcurrencyTests(RedisServerFixture redis) : RedisKvConcurrencyTests<RedisServerFixture>(redis);

/// <summary>The same tests on Garnet.</summary>
public sealed class GarnetKvConcurrencyTests(GarnetServerFixture garnet) : RedisKvConcurrencyTests<GarnetServerFixture>(garnet);
