using System.Net;
using Kv.Redis.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace WebApp.Tests;

/// <summary>A Redis server for two sample instances.</summary>
public sealed class SharedRedisFixture : IAsyncLifetime
{
    private RedisServerProcess? _server;

    public string EndPoint => (_server ?? throw new InvalidOperationException("The server has not started.")).EndPoint;

    public async Task InitializeAsync() => _server = await RedisServerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// Two instances of the sample on one Redis, over HTTP: the output cache, HybridCache's second level and the Data
/// Protection key ring (so the session cookie) are shared through Kv.
/// </summary>
public sealed class SampleScaleOutTests(SharedRedisFixture redis) : IClassFixture<SharedRedisFixture>, IAsyncLifetime
{
    private readonly List<WebApplicationFactory<Program>> _factories = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (WebApplicationFactory<Program> factory in _factories)
        {
            await factory.DisposeAsync();
        }
    }

    private HttpClient Instance()
    {
        WebApplicationFactory<Program> factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Kv:Provider", "Redis");
            b.UseSetting("ConnectionStrings:Redis", redis.EndPoint);
        });
        _factories.Add(factory);
        return factory.CreateClient();
    }

    [Fact]
    public async Task A_cached_response_is_served_by_the_other_instance_until_a_tag_eviction_on_either()
    {
        HttpClient one = Instance();
        HttpClient two = Instance();

        string first = await one.GetStringAsync("/api/scaleout/clock");
        Assert.Equal(first, await two.GetStringAsync("/api/scaleout/clock"));

        Assert.Equal(HttpStatusCode.NoContent, (await two.DeleteAsync("/api/scaleout/clock")).StatusCode);
        string second = await one.GetStringAsync("/api/scaleout/clock");
        Assert.NotEqual(first, second);
        Assert.Equal(second, await two.GetStringAsync("/api/scaleout/clock"));
    }

    [Fact]
    public async Task A_HybridCache_value_made_by_one_instance_is_read_by_the_other_and_removed_from_L2()
    {
        HttpClient one = Instance();
        HttpClient two = Instance();

        string made = await one.GetStringAsync("/api/scaleout/hybrid/report");
        Assert.Equal(made, await two.GetStringAsync("/api/scaleout/hybrid/report"));

        Assert.Equal(HttpStatusCode.NoContent, (await one.DeleteAsync("/api/scaleout/hybrid/report")).StatusCode);
        string remade = await one.GetStringAsync("/api/scaleout/hybrid/report");
        Assert.NotEqual(made, remade);
    }

    [Fact]
    public async Task A_session_cookie_issued_by_one_instance_is_read_by_the_other()
    {
        HttpClient one = Instance();
        HttpClient two = Instance();

        string cookie = await SampleSessions.AddToCartAsync(one, cookie: null, "book");
        Assert.Equal(["book"], await SampleSessions.CartAsync(two, cookie));
        Assert.Equal(cookie, await SampleSessions.AddToCartAsync(two, cookie, "pen"));
        Assert.Equal(["book", "pen"], await SampleSessions.CartAsync(one, cookie));
        await SampleSessions.AssertKeyRingIsInKvAsync(_factories[0].Services);
    }
}
