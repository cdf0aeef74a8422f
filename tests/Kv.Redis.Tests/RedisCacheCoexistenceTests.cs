using Kv.Redis.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Kv.Redis.Tests;

/// <summary>
/// Kv beside Microsoft.Extensions.Caching.StackExchangeRedis in one real host: one multiplexer for both, one Redis,
/// separate keys, and who closes the multiplexer when the host goes away.
/// </summary>
/// <remarks>On a redis-server of its own, flushed before each test, so the whole keyspace can be inspected.</remarks>
public abstract class RedisCacheCoexistenceTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    private const string CachePrefix = "cache:";

    private readonly string _appName = "app-" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        await using RespConnection cli = await RespConnection.ConnectAsync(redis.EndPoint);
        await cli.CommandAsync("FLUSHALL");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string?, bool> Setups => new()
    {
        // Kv's instance name; whether Kv gets the multiplexer from DI (true) or from RedisCache's own factory delegate.
        { null, true },
        { "kv:", true },
        { null, false },
        { "kv:", false },
    };

    [Theory]
    [MemberData(nameof(Setups))]
    public async Task RedisCache_and_Kv_share_one_multiplexer_and_never_touch_each_others_keys(string? kvInstanceName, bool kvFromDi)
    {
        string ignoredName = "ignored-" + Guid.NewGuid().ToString("N")[..8];
        CountingMultiplexer? app = null;
        int created = 0;

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            Interlocked.Increment(ref created);
            app = CountingMultiplexer.Wrap(ConnectionMultiplexer.Connect(redis.Configuration + ",name=" + _appName));
            return app.Proxy;
        });
        builder.Services.AddStackExchangeRedisCache(o =>
        {
            o.InstanceName = CachePrefix;
            o.Configuration = redis.Configuration + ",name=" + ignoredName; // Loses to the factory below.
        });
        builder.Services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider>((o, sp) =>
            o.ConnectionMultiplexerFactory = () => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()));
        builder.Services.AddKv().UseRedis(o => o.InstanceName = kvInstanceName);
        if (!kvFromDi)
        {
            // The very delegate RedisCache got: the two option types take the same Func<Task<IConnectionMultiplexer>>.
            builder.Services.AddOptions<RedisKvOptions>().Configure<IOptions<RedisCacheOptions>>((o, cache) =>
                o.ConnectionMultiplexerFactory = cache.Value.ConnectionMultiplexerFactory);
        }

        IHost host = builder.Build();
        await host.StartAsync();
        IDistributedCache cache = host.Services.GetRequiredService<IDistributedCache>();
        Assert.IsAssignableFrom<RedisCache>(cache);
        RedisKv kv = Assert.IsType<RedisKv>(host.Services.GetRequiredService<AtomicKvAdaptor>());
        IAtomicKvStore store = kv.Namespace("app");
        await using RespConnection cli = await RespConnection.ConnectAsync(redis.EndPoint);

        // The same logical names on both sides; a cache key shaped like a Kv key, too.
        await cache.SetStringAsync("k", "from-cache");
        await cache.SetStringAsync("{app}::k2", "cache-lookalike");
        await cache.SetStringAsync("sliding", "s", new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromHours(1) });
        await store.SetAsync("k", "from-kv");
        await store.SetAsync("k2", "kv-2");
        await store.SetAsync("short", 1, KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(50)));
        string[] cacheKeys = [CachePrefix + "k", CachePrefix + "{app}::k2", CachePrefix + "sliding"];

        Assert.Equal("from-cache", await cache.GetStringAsync("k"));
        Assert.Equal("cache-lookalike", await cache.GetStringAsync("{app}::k2"));
        Assert.Equal("from-kv", await store.GetAsync<string>("k"));

        // Every key in Redis is either RedisCache's (its prefix) or Kv's (its instance name, then a tag or __kv:).
        string kvPrefix = kvInstanceName ?? string.Empty;
        IReadOnlyList<string> all = await AllKeysAsync(cli);
        Assert.Equal(cacheKeys.Order(StringComparer.Ordinal), all.Where(k => k.StartsWith(CachePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.All(all.Where(k => !k.StartsWith(CachePrefix, StringComparison.Ordinal)), k =>
            Assert.True(k.StartsWith(kvPrefix + "{", StringComparison.Ordinal) || k.StartsWith(kvPrefix + "__kv:", StringComparison.Ordinal), k));

        // Kv's listings and counts see Kv's keys only.
        await WaitUntilAsync(async () => !await store.ExistsAsync("short"));
        Assert.Equal(["k", "k2"], (await store.ListAsync()).Keys.Select(k => k.Name));
        Assert.Equal(["k", "k2"], (await store.KeysAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(2, await store.CountAsync());
        Assert.Equal(0, await kv.Namespace("cache").CountAsync());

        // Kv's bulk deletes leave every RedisCache key alone (its clean-up touches nothing on Redis: Redis expires keys).
        Assert.Equal(0, await kv.CollectExpiredAsync());
        Assert.Equal(0, await kv.Namespace("cache").DeleteManyAsync(["k", "sliding", "{app}::k2"]));
        Assert.Equal(1, await store.DeleteManyAsync(["k", "sliding", "{app}::k2"]));
        Assert.Equal(cacheKeys.Length, await ExistingAsync(cli, cacheKeys));
        Assert.Equal("from-cache", await cache.GetStringAsync("k"));
        Assert.Equal("s", await cache.GetStringAsync("sliding"));

        // RedisCache's Remove leaves Kv's key of the same logical name (and its index) alone.
        await cache.RemoveAsync("k2");
        await cache.RemoveAsync("{app}::k2");
        Assert.Equal("kv-2", await store.GetAsync<string>("k2"));
        Assert.Equal(["k2"], (await store.ListAsync()).Keys.Select(k => k.Name));
        Assert.Equal(2, await ExistingAsync(cli, [CachePrefix + "k", CachePrefix + "sliding"]));

        // One multiplexer: created once, used by both (RedisCache tags it with its library suffix), and neither
        // RedisCache nor Kv connected on its own.
        Assert.Equal(1, created);
        Assert.NotNull(app);
        Assert.Equal(2, app.Calls("GetDatabase"));
        Assert.True(app.Calls("AddLibraryNameSuffix") >= 1);
        string clients = (await cli.CommandTextAsync("CLIENT", "LIST"))!;
        Assert.DoesNotContain("name=" + ignoredName, clients, StringComparison.Ordinal);
        // (The fixture's own multiplexer and earlier tests' closed clients may be listed too; none is RedisCache's or Kv's.)
        Assert.Contains(" name=" + _appName + " ", clients, StringComparison.Ordinal);
        Assert.Equal(0, app.Releases);

        await host.StopAsync();
        Assert.Equal(0, app.Releases); // Stopping is not disposing.
        await ((IAsyncDisposable)host).DisposeAsync();

        // The container disposed the multiplexer it created, once. Kv closed nothing. RedisCache 10.0 closes and disposes
        // what its factory returned, on the real multiplexer it reaches through IDatabase.Multiplexer, so it never
        // passes through this proxy; ConnectionMultiplexer takes the second Dispose as a no-op (no exception above).
        Assert.Equal(1, app.Releases);
        Assert.Equal(1, app.Calls("DisposeAsync") + app.Calls("Dispose"));
        Assert.False(app.Inner.IsConnected);
        await WaitUntilAsync(async () => !(await cli.CommandTextAsync("CLIENT", "LIST"))!.Contains("name=" + _appName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kv_never_closes_or_disposes_the_application_multiplexer()
    {
        CountingMultiplexer app = CountingMultiplexer.Wrap(await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",name=" + _appName));
        try
        {
            // Registered as an instance: the container does not dispose it either, so any release would be Kv's.
            HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddSingleton(app.Proxy);
            builder.Services.AddKv().UseRedis(o => o.Configuration = "127.0.0.1:1"); // Ignored: the app's multiplexer wins.
            using (IHost host = builder.Build())
            {
                await host.StartAsync();
                await host.Services.GetRequiredService<AtomicKvAdaptor>().Namespace("app").SetAsync("k", 1);
                await host.StopAsync();
            }

            // And with the multiplexer given through Kv's own ConnectionMultiplexerFactory.
            var kv = new RedisKv(new RedisKvOptions { ConnectionMultiplexerFactory = () => Task.FromResult(app.Proxy) });
            await kv.Namespace("app").SetAsync("k", 2);
            await kv.DisposeAsync();
            kv.Dispose();

            Assert.Equal(2, app.Calls("GetDatabase"));
            Assert.Equal(0, app.Releases);
            Assert.True(app.Inner.IsConnected);
            Assert.Equal("2", (string?)await app.Inner.GetDatabase().StringGetAsync("{app}::k"));
        }
        finally
        {
            await app.Inner.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyList<string>> AllKeysAsync(RespConnection cli) =>
        [.. ((object?[])(await cli.CommandAsync("KEYS", "*"))!).Select(RespConnection.AsText).Select(k => k!)];

    private static async Task<long> ExistingAsync(RespConnection cli, string[] keys) =>
        (long)(await cli.CommandAsync(["EXISTS", .. keys]))!;

    // A bounded wait for something Redis does on its own (expiry, dropping a closed client).
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 500; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail("The condition did not become true within 5 seconds.");
    }
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisCacheCoexistenceTests(DedicatedRedisServerFixture redis) : RedisCacheCoexistenceTests<DedicatedRedisServerFixture>(redis);

/// <summary>
/// The same tests on Garnet. (They let a 50 ms TTL pass in real time; Garnet 2.2.8 can expire a key a few ms before
/// the script clock reaches its instant, and the listing scripts ask the data key in that last second.)
/// </summary>
public sealed class GarnetCacheCoexistenceTests(GarnetServerFixture garnet) : RedisCacheCoexistenceTests<GarnetServerFixture>(garnet);
