using Kv.Conformance;
using System.Net;
using System.Security.Claims;
using System.Xml.Linq;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Scaleout;

/// <summary>
/// Sessions, output caching, HybridCache and the Data Protection key ring on two application instances (two in-process
/// hosts) that share one Kv store, through the framework's own middleware and services.
/// </summary>
public abstract class ScaleOutTests : IAsyncLifetime
{
    private const string KeyRingNamespace = "dp";
    private readonly List<WebApplication> _apps = [];
    private int _renders;

    protected abstract KvAdaptor Adaptor { get; }

    /// <summary>Another adaptor on the same store (another process's view), or <see langword="null"/> for memory,
    /// whose instances can only share one adaptor.</summary>
    protected abstract KvAdaptor? NewAdaptorOnSameStore();

    /// <summary>Stops every adaptor and opens the store anew, as a restart of every instance does; memory keeps its
    /// one adaptor (its data lives only in the process).</summary>
    protected abstract Task RestartStoreAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await StopAppsAsync();

    private async Task StopAppsAsync()
    {
        foreach (WebApplication app in _apps)
        {
            await app.DisposeAsync();
        }

        _apps.Clear();
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
        // The key ring lives in Kv: a session cookie issued by one instance is read by the other only through it.
        builder.Services.AddDataProtection().SetApplicationName("kv-scale-out").PersistKeysToKv(KeyRingNamespace);
        builder.Services.AddSession();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        WebApplication app = builder.Build();
        app.UseAuthentication();
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
        app.MapPost("/login/{name}", async (HttpContext context, string name) =>
        {
            await context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], "test")));
            return Results.NoContent();
        });
        app.MapGet("/me", (HttpContext context) => context.User.Identity?.Name ?? "(anonymous)").CacheOutput(p => p.NoCache());
        app.MapGet("/page", () => "render " + Interlocked.Increment(ref _renders)).CacheOutput(p => p.Tag("pages"));
        app.MapGet("/tagged", () => "render " + Interlocked.Increment(ref _renders)).CacheOutput(p => p.Tag(ManyLongTags));
        app.MapPost("/evict/{tag}", async (IOutputCacheStore store, string tag, CancellationToken ct) =>
        {
            await store.EvictByTagAsync(tag, ct);
            return Results.NoContent();
        });
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

    // 40 tags of 120 characters: one token per tag would take about 6 KiB of metadata, past Kv's 1 KiB limit.
    private static readonly string[] ManyLongTags = [.. Enumerable.Range(0, 40).Select(i => "tag-" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + new string('x', 114))];

    [Fact]
    public async Task A_response_with_many_long_tags_is_cached_shared_and_evicted_by_any_one_tag()
    {
        HttpClient one = await StartAsync(Adaptor);
        HttpClient two = await StartAsync(NewAdaptorOnSameStore() ?? Adaptor);

        Assert.Equal("render 1", await one.GetStringAsync("/tagged"));
        Assert.Equal("render 1", await two.GetStringAsync("/tagged"));

        Assert.Equal(HttpStatusCode.NoContent, (await two.PostAsync("/evict/" + ManyLongTags[^1], null)).StatusCode);
        Assert.Equal("render 2", await one.GetStringAsync("/tagged"));
        Assert.Equal("render 2", await two.GetStringAsync("/tagged"));

        Assert.Equal(HttpStatusCode.NoContent, (await one.PostAsync("/evict/" + ManyLongTags[0], null)).StatusCode);
        Assert.Equal("render 3", await two.GetStringAsync("/tagged"));

        // A tag the response does not carry evicts nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await one.PostAsync("/evict/other", null)).StatusCode);
        Assert.Equal("render 3", await one.GetStringAsync("/tagged"));
        Assert.Equal(3, _renders);
    }

    [Fact]
    public async Task An_authentication_cookie_issued_by_one_instance_signs_the_user_in_on_the_other()
    {
        HttpClient one = await StartAsync(Adaptor);
        HttpClient two = await StartAsync(NewAdaptorOnSameStore() ?? Adaptor);

        using HttpResponseMessage login = await one.PostAsync("/login/ada", null);
        Assert.Equal(HttpStatusCode.NoContent, login.StatusCode);
        string cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Cookies=", StringComparison.Ordinal)).Split(';')[0];

        Assert.Equal("ada", await SendAsync(two, HttpMethod.Get, "/me", cookie));
        Assert.Equal("(anonymous)", await SendAsync(two, HttpMethod.Get, "/me", cookie: null));

        // A cookie that was tampered with signs nobody in.
        string tampered = cookie[..^4] + (cookie[^4] == 'A' ? "B" : "A") + cookie[^3..];
        Assert.Equal("(anonymous)", await SendAsync(two, HttpMethod.Get, "/me", tampered));
    }

    private IDataProtector Protector(int instance) =>
        _apps[instance].Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("scale-out-test");

    [Fact]
    public async Task Two_instances_share_the_key_ring_and_a_restart_of_both_keeps_it()
    {
        await StartAsync(Adaptor);
        await StartAsync(NewAdaptorOnSameStore() ?? Adaptor);

        string fromOne = Protector(0).Protect("issued by one");
        string fromTwo = Protector(1).Protect("issued by two");
        Assert.Equal("issued by one", Protector(1).Unprotect(fromOne));
        Assert.Equal("issued by two", Protector(0).Unprotect(fromTwo));

        // The ring is in Kv: one permanent entry per key, named by the key's friendly name, holding its XML.
        IKvStore ring = Adaptor.Namespace(KeyRingNamespace);
        KvListResult keys = await ring.ListAsync();
        Assert.NotEmpty(keys.Keys);
        foreach (KvKeyInfo key in keys.Keys)
        {
            Assert.StartsWith("key-", key.Name, StringComparison.Ordinal);
            Assert.Null(key.ExpiresAt);
            Assert.StartsWith("<key ", await ring.GetAsync<string>(key.Name), StringComparison.Ordinal);
        }

        // Restart both instances on a freshly opened store: the old payloads still unprotect, and no new key was needed.
        await StopAppsAsync();
        await RestartStoreAsync();
        await StartAsync(Adaptor);
        await StartAsync(NewAdaptorOnSameStore() ?? Adaptor);
        Assert.Equal("issued by one", Protector(0).Unprotect(fromOne));
        Assert.Equal("issued by two", Protector(1).Unprotect(fromTwo));
        Assert.Equal(keys.Keys.Select(k => k.Name), (await Adaptor.Namespace(KeyRingNamespace).ListAsync()).Keys.Select(k => k.Name));
    }

    [Fact]
    public async Task A_payload_is_not_unprotected_by_an_app_on_another_key_ring()
    {
        await StartAsync(Adaptor);
        string payload = Protector(0).Protect("secret");

        // The control: an app whose ring is another (empty) namespace cannot read the payload.
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(Adaptor);
        builder.Services.AddDataProtection().SetApplicationName("kv-scale-out").PersistKeysToKv("dp-other");
        await using WebApplication other = builder.Build();
        await other.StartAsync();
        IDataProtector stranger = other.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("scale-out-test");
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => stranger.Unprotect(payload));
    }

    [Fact]
    public async Task The_xml_repository_returns_every_element_and_never_overwrites_a_different_one()
    {
        IKvStore ns = Adaptor.Namespace("dp-repo");
        var repository = new KvXmlRepository(ns);
        Assert.Empty(repository.GetAllElements());

        XElement first = new("key", new XAttribute("id", "1"), new XElement("secret", "a"));
        XElement second = new("key", new XAttribute("id", "2"));
        XElement unnamed = new("revocation", new XElement("reason", "r"));
        XElement badName = new("key", new XAttribute("id", "3"));
        repository.StoreElement(first, "key-1");
        repository.StoreElement(second, "key-2");
        repository.StoreElement(unnamed, null!);
        repository.StoreElement(badName, "__reserved");
        repository.StoreElement(first, "key-1");
        AssertElements([first, second, unnamed, badName], repository.GetAllElements());

        // Values are the XML text, permanent, under the friendly name.
        KvEntry<string>? stored = await ns.GetEntryAsync<string>("key-1");
        Assert.Equal(first.ToString(System.Xml.Linq.SaveOptions.DisableFormatting), stored?.Value);
        Assert.Null(stored?.ExpiresAt);

        // A different element under a taken name is kept beside the first, not written over it.
        XElement clash = new("key", new XAttribute("id", "1"), new XElement("secret", "b"));
        repository.StoreElement(clash, "key-1");
        repository.StoreElement(clash, "key-1");
        AssertElements([first, second, unnamed, badName, clash], repository.GetAllElements());
        Assert.Equal(first.ToString(System.Xml.Linq.SaveOptions.DisableFormatting), await ns.GetAsync<string>("key-1"));

        // Deletion, in the order chosen.
        Assert.True(repository.DeleteElements(elements =>
        {
            foreach (IDeletableElement element in elements.Where(e => (string?)e.Element.Attribute("id") == "2" || e.Element.Name == "revocation"))
            {
                element.DeletionOrder = 1;
            }
        }));
        AssertElements([first, badName, clash], repository.GetAllElements());
    }

    [Fact]
    public async Task The_xml_repository_reads_past_one_listing_page()
    {
        IKvStore ns = Adaptor.Namespace("dp-many");
        int count = KvListQuery.DefaultLimit + 5;
        await ns.SetManyAsync(Enumerable.Range(0, count).Select(i => new KeyValuePair<string, string>(
            "key-" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), "<key id=\"" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\" />")));

        IReadOnlyCollection<XElement> elements = new KvXmlRepository(ns).GetAllElements();

        Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), elements.Select(e => (string)e.Attribute("id")!).Order());
    }

    private static void AssertElements(XElement[] expected, IReadOnlyCollection<XElement> actual)
    {
        static string Text(XElement e) => e.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
        Assert.Equal(expected.Select(Text).Order(StringComparer.Ordinal), actual.Select(Text).Order(StringComparer.Ordinal));
    }
}

public sealed class MemoryScaleOutTests : ScaleOutTests
{
    private readonly MemoryKv _kv = new(new MemoryKvOptions());

    protected override KvAdaptor Adaptor => _kv;

    protected override KvAdaptor? NewAdaptorOnSameStore() => null;

    protected override Task RestartStoreAsync() => Task.CompletedTask;
}

public sealed class RedisScaleOutTests(OwnRedisServerFixture redis) : ScaleOutTests, IClassFixture<OwnRedisServerFixture>
{
    private readonly string _instance = OwnRedisServerFixture.NewInstanceName();
    private readonly List<RedisKv> _adaptors = [];

    protected override KvAdaptor Adaptor => _adaptors.Count > 0 ? _adaptors[0] : Create();

    protected override KvAdaptor? NewAdaptorOnSameStore() => Create();

    protected override async Task RestartStoreAsync()
    {
        await DisposeAdaptorsAsync();
        Create();
    }

    private RedisKv Create()
    {
        RedisKv kv = redis.CreateAdaptor(_instance);
        _adaptors.Add(kv);
        return kv;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await DisposeAdaptorsAsync();
    }

    private async Task DisposeAdaptorsAsync()
    {
        foreach (RedisKv kv in _adaptors)
        {
            await kv.DisposeAsync();
        }

        _adaptors.Clear();
    }
}

public sealed class SqliteScaleOutTests : ScaleOutTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kv-scaleout-").FullName;
    private readonly List<SqliteKv> _adaptors = [];

    protected override KvAdaptor Adaptor => _adaptors.Count > 0 ? _adaptors[0] : Create();

    // Another SqliteKv on the same file: what another process on the same machine sees.
    protected override KvAdaptor? NewAdaptorOnSameStore() => Create();

    protected override Task RestartStoreAsync()
    {
        DisposeAdaptors();
        Create();
        return Task.CompletedTask;
    }

    [Fact]
    public void A_failed_deletion_skips_the_rest_returns_false_and_is_logged()
    {
        string path = Path.Combine(_directory, "delete.db");
        using var kv = new SqliteKv(new SqliteKvOptions { Path = path, BusyTimeout = TimeSpan.FromSeconds(1) });
        using var logs = new CapturingLoggerProvider();
        var repository = new KvXmlRepository(kv.Namespace("dp"), logs);
        repository.StoreElement(new XElement("key", new XAttribute("id", "1")), "key-1");
        repository.StoreElement(new XElement("key", new XAttribute("id", "2")), "key-2");

        // Another connection holds the write lock: reads go on (WAL), the first deletion fails after the busy timeout.
        using (var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            holder.Open();
            using Microsoft.Data.Sqlite.SqliteCommand begin = holder.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();

            Assert.False(repository.DeleteElements(elements =>
            {
                int order = 0;
                foreach (IDeletableElement element in elements)
                {
                    element.DeletionOrder = ++order;
                }
            }));
        }

        Assert.Equal(2, repository.GetAllElements().Count);
        var logged = Assert.Single(logs.Events, e => e.EventId.Id == 4201);
        Assert.Equal(KvErrorCode.StoreOperationFailed, Assert.IsType<KvException>(logged.Exception).Code);
    }

    private SqliteKv Create()
    {
        var kv = new SqliteKv(new SqliteKvOptions { Path = Path.Combine(_directory, "kv.db") });
        _adaptors.Add(kv);
        return kv;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        DisposeAdaptors();
        Directory.Delete(_directory, recursive: true);
    }

    private void DisposeAdaptors()
    {
        foreach (SqliteKv kv in _adaptors)
        {
            kv.Dispose();
        }

        _adaptors.Clear();
    }
}
