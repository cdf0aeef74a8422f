using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kv.Redis.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace WebApp.Tests;

/// <summary>The sample app in a real host, over HTTP, on the memory default.</summary>
public sealed class MemorySampleAppTests(WebApplicationFactory<Program> factory)
    : SampleAppTests(factory), IClassFixture<WebApplicationFactory<Program>>;

/// <summary>The same app switched to Redis by configuration alone (Kv:Provider and a connection string).</summary>
public sealed class RedisSampleAppTests(RedisSampleAppFactory factory)
    : SampleAppTests(factory), IClassFixture<RedisSampleAppFactory>;

public sealed class RedisSampleAppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private RedisServerProcess? _server;

    public RedisServerProcess Redis => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync() => _server = await RedisServerProcess.StartAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        builder.UseSetting("Kv:Provider", "Redis");
        builder.UseSetting("ConnectionStrings:Redis", Redis.EndPoint);
    }
}

public abstract class SampleAppTests(WebApplicationFactory<Program> factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public void The_configured_backend_is_in_use()
    {
        Kv.AtomicKvAdaptor adaptor = factory.Services.GetRequiredService<Kv.AtomicKvAdaptor>();
        bool redis = factory is RedisSampleAppFactory;

        Assert.Equal(redis ? "RedisKv" : "MemoryKv", adaptor.GetType().Name);
    }

    [Fact]
    public async Task Put_then_get_returns_the_stored_json()
    {
        HttpResponseMessage put = await _client.PutAsJsonAsync("/kv/notes/greeting", new { text = "hello 🚀" });
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        JsonElement body = await _client.GetFromJsonAsync<JsonElement>("/kv/notes/greeting");

        Assert.Equal("hello 🚀", body.GetProperty("value").GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task Get_of_a_missing_key_is_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/kv/notes/missing")).StatusCode);
    }

    [Fact]
    public async Task Invalid_key_or_ttl_is_400_with_the_error_code()
    {
        HttpResponseMessage badKey = await _client.PutAsJsonAsync("/kv/notes/__reserved", 1);
        HttpResponseMessage badTtl = await _client.PutAsJsonAsync("/kv/notes/k?ttlSeconds=-1", 1);

        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
        Assert.Contains("InvalidKey", await badKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badTtl.StatusCode);
        Assert.Contains("InvalidTtl", await badTtl.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counter_over_a_value_that_is_not_a_number_is_409()
    {
        await _client.PutAsJsonAsync("/kv/counters/text", "ten");

        HttpResponseMessage response = await _client.PostAsync("/counters/text", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("NotNumeric", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_counter_requests_lose_no_increment()
    {
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _client.PostAsync("/counters/hits", null)));

        JsonElement last = await (await _client.PostAsync("/counters/hits", null)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(51, last.GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task Keyed_namespace_reads_what_the_generic_endpoint_wrote()
    {
        await _client.PutAsJsonAsync("/kv/notes/keyed", "from keyed");

        Assert.Equal("from keyed", await _client.GetFromJsonAsync<string>("/notes/keyed"));
    }
}
