using Kv.Conformance;
using System.Net;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Scaleout;

/// <summary>
/// Output caching and HybridCache on two application instances (two in-process hosts) that share one
/// Kv store, through the framework's own middleware and services.
/// </summary>
public abstract class ScaleOutTests : IAsyncLifetime
{
    private readonly List<WebApplication> _apps = [];

    // One key ring for every instance, so a session cookie issued by one is read by the other (the session tests are
    // about the session's data; the key ring is shared through Kv in the Data Protection tests).
    private readonly EphemeralDataProtectionProvider _keyRing = new();
    private int _renders;

    protected abstract KvAdaptor Adaptor { get; }

    /// <summary>Whether the backend survives a new adaptor (a restart of every instance); only a server does.</summary>
    protected abstract KvAdaptor? NewAdaptorOnSameStore();

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (WebApplication app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    private async Task<HttpClient> StartAsync(KvAdaptor adaptor)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(adaptor);
        builder.Services.AddOutputCache(o => o.AddBasePolicy(p => p.Expire(TimeSpan.FromMinutes(5))));
        builder.Services.AddKvOutputCache(o => o.Namespace = "oc");
        builder.Services.AddKvDistributedCache(o => o.Namespace = "hc");
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<IDataProtectionProvider>(_keyRing);
        builder.Services.AddSession();
        WebApplication app = builder.Build();
        app.UseSession();
        app.UseOutputCache();

        // The ordinary session pattern: no 'await Session.LoadAsync()', so the session loads through the
        // synchronous IDistributedCache.Get, and the middleware commits through SetAsync.
        app.MapPost("/session/{value}", (HttpContext context, string value) =>
        {
            context.Session.SetString("value", value);
            return Results.NoContent();
        });
        app.MapGet("/session", (HttpContext context) => context.Session.GetString("value") ?? "(none)").CacheOutput(p => p.NoCache());
        app.MapGet("/page", () => "render " + Interlocked.Increment(ref _renders)).CacheOutput(p => p.Tag("pages"));
        app.MapPost("/evict", async (IOutputCacheStore store, CancellationToken ct) =>
        {
            await store.EvictByTagAsync("pages", ct);
            return Results.NoContent();
        });
        await app.StartAsync();
        _apps.Add(app);
        return app.GetTestClient();
    }

    private static async Task<string> SendAsync(HttpClient client, HttpMethod method, string path, string? cookie)
    {
        using var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task The_ordinary_session_pattern_keeps_its_data_across_instances()
    {
        HttpClient one = await StartAsync(Adaptor);
        HttpClient two = await StartAsync(NewAdaptorOnSameStore() ?? Adaptor);

        using var first = new HttpRequestMessage(HttpMethod.Post, "/session/alpha");
        using HttpResponseMessage issued = await one.SendAsync(first);
        Assert.Equal(HttpStatusCode.NoContent, issued.StatusCode);
        string cookie = Assert.Single(issued.Headers.GetValues("Set-Cookie")).Split(';')[0];

        // The other instance loads the session synchronously from the shared store.
        Assert.Equal("alpha", await SendAsync(two, HttpMethod.Get, "/session", cookie));
        await SendAsync(two, HttpMethod.Post, "/session/beta", cookie);
        Assert.Equal("beta", await SendAsync(one, HttpMethod.Get, "/session", cookie));
        Assert.Equal("(none)", await SendAsync(one, HttpMethod.Get, "/session", cookie: null));
    }

    private HybridCache Hybrid(int instance) => _apps[instance].Services.GetRequiredService<HybridCache>();

    [Fact]
    public async Task A_response_cached_by_one_instance_is_served_by_the_other_and_a_tag_eviction_evicts_for_both()
    {
        HttpClient one = await StartAsync(Adaptor);
        HttpClient two = await StartAsync(Adaptor);

        Assert.Equal("render 1", await one.GetStringAsync("/page"));
        Assert.Equal("render 1", await two.GetStringAsync("/page"));
        Assert.Equal("render 1", await one.GetStringAsync("/page"));

        Assert.Equal(HttpStatusCode.NoContent, (await two.PostAsync("/evict", null)).StatusCode);

        Assert.Equal("render 2", await one.GetStringAsync("/page"));
        Assert.Equal("render 2", await two.GetStringAsync("/page"));
        Assert.Equal(2, _renders);
    }

    [Fact]
    public async Task Output_cache_store_entries_have_the_ttl_the_middleware_gives()
    {
        HttpClient one = await StartAsync(Adaptor);
        await one.GetStringAsync("/page");

        KvListResult list = await Adaptor.Namespace("oc").ListAsync();
        KvKeyInfo entry = Assert.Single(list.Keys);
        Assert.NotNull(entry.ExpiresAt);
    }

    [Fact]
    public async Task HybridCache_reads_another_instance_value_from_L2_and_RemoveAsync_removes_it_from_L2_but_not_from_another_L1()
    {
        await StartAsync(Adaptor);
        await StartAsync(Adaptor);
        int factoryCalls = 0;

        string first = await Hybrid(0).GetOrCreateAsync("k", _ => ValueTask.FromResult("v" + Interlocked.Increment(ref factoryCalls)));
        // HybridCache may finish its L2 write after GetOrCreateAsync returns: read from the other instance once it is in Kv.
        await Eventually.TrueAsync(() => Adaptor.Namespace("hc").ExistsAsync("k"), "HybridCache writes the value to Kv");
        string second = await Hybrid(1).GetOrCreateAsync("k", _ => ValueTask.FromResult("v" + Interlocked.Increment(ref factoryCalls)));
        Assert.Equal("v1", first);
        Assert.Equal("v1", second);
        Assert.Equal(1, factoryCalls);

        await Hybrid(0).RemoveAsync("k");
        Assert.Null(await Adaptor.Namespace("hc").GetAsync<byte[]>("k"));
        // HybridCache has no backplane: instance 1's L1 still holds the value until its local expiration.
        Assert.Equal("v1", await Hybrid(1).GetOrCreateAsync("k", _ => ValueTask.FromResult("v" + Interlocked.Increment(ref factoryCalls))));
        // Instance 0's L1 was cleared by its own RemoveAsync; the value is gone from L2, so instance 0 creates it anew.
        Assert.Equal("v2", await Hybrid(0).GetOrCreateAsync("k", _ => ValueTask.FromResult("v" + Interlocked.Increment(ref factoryCalls))));
        // A third instance (an empty L1) reads the new value from L2.
        await Eventually.TrueAsync(() => Adaptor.Namespace("hc").ExistsAsync("k"), "HybridCache writes the new value to Kv");
        await StartAsync(Adaptor);
        Assert.Equal("v2", await Hybrid(2).GetOrCreateAsync("k", _ => ValueTask.FromResult("v" + Interlocked.Increment(ref factoryCalls))));
    }

    [Fact]
    public async Task HybridCache_calls_the_factory_once_for_concurrent_callers()
    {
        await StartAsync(Adaptor);
        int factoryCalls = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<string>[] callers = [.. Enumerable.Range(0, 16).Select(_ => Hybrid(0).GetOrCreateAsync("stampede", async ct =>
        {
            Interlocked.Increment(ref factoryCalls);
            await gate.Task.WaitAsync(ct);
            return "made";
        }).AsTask())];
        gate.SetResult();
        string[] results = await Task.WhenAll(callers);

        Assert.All(results, r => Assert.Equal("made", r));
        Assert.Equal(1, factoryCalls);
    }
}

public sealed class MemoryScaleOutTests : ScaleOutTests
{
    private readonly MemoryKv _kv = new(new MemoryKvOptions());

    protected override KvAdaptor Adaptor => _kv;

    protected override KvAdaptor? NewAdaptorOnSameStore() => null;
}

public sealed class RedisScaleOutTests(OwnRedisServerFixture redis) : ScaleOutTests, IClassFixture<OwnRedisServerFixture>
{
    private readonly string _instance = OwnRedisServerFixture.NewInstanceName();
    private readonly List<RedisKv> _adaptors = [];

    protected override KvAdaptor Adaptor => _adaptors.Count > 0 ? _adaptors[0] : Create();

    protected override KvAdaptor? NewAdaptorOnSameStore() => Create();

    private RedisKv Create()
    {
        RedisKv kv = redis.CreateAdaptor(_instance);
        _adaptors.Add(kv);
        return kv;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (RedisKv kv in _adaptors)
        {
            await kv.DisposeAsync();
        }
    }
}
