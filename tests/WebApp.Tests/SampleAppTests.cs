using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kv;
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
    public async Task The_generic_endpoint_stores_under_its_own_top_level_namespace()
    {
        await _client.PutAsJsonAsync("/kv/notes/scoped", "x");

        Kv.AtomicKvAdaptor adaptor = factory.Services.GetRequiredService<Kv.AtomicKvAdaptor>();
        Assert.Equal("x", await adaptor.Namespace("kv").Namespace("notes").GetAsync<string>("scoped"));
        Assert.Null(await adaptor.Namespace("notes").GetAsync<string>("scoped"));
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
        // The generic endpoint cannot write the counters' namespace any more: the value goes in through the store.
        await factory.Services.GetRequiredService<Kv.AtomicKvAdaptor>().Namespace("counters").SetAsync("text", "ten");

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
    public async Task Rate_limited_endpoint_returns_429_with_Retry_After_past_the_limit()
    {
        // The limit is 10 a minute per client IP. Fixed windows may be aligned to the clock, so a run can straddle two
        // windows: 21 requests (done in milliseconds) then still meet a refusal, and the first 10 are always admitted.
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (int i = 0; i < 21 && rejected is null; i++)
        {
            HttpResponseMessage response = await _client.GetAsync("/api/limited");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                rejected = response;
            }
        }

        Assert.NotNull(rejected);
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 10, 20);
        Assert.True(rejected.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {rejected.Headers.RetryAfter}");
    }

    [Fact]
    public async Task Lock_protected_read_modify_write_loses_no_update_under_50_concurrent_requests()
    {
        string item = "widget-" + Guid.NewGuid().ToString("N")[..8];

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(_ => _client.PostAsync($"/api/inventory/{item}/reserve", null)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        JsonElement[] bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), bodies.Select(b => b.GetProperty("reserved").GetInt64()).Order());
        Assert.Equal(50, bodies.Select(b => b.GetProperty("fencingToken").GetInt64()).Distinct().Count());
        JsonElement total = await _client.GetFromJsonAsync<JsonElement>($"/api/inventory/{item}");
        Assert.Equal(50, total.GetProperty("reserved").GetInt64());
    }

    [Fact]
    public async Task Health_returns_200_Healthy()
    {
        HttpResponseMessage response = await _client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Session_state_round_trips_through_Kv()
    {
        await _client.PostAsJsonAsync("/api/cart/items", new { name = "book" });
        await _client.PostAsJsonAsync("/api/cart/items", new { name = "pen" });

        Assert.Equal(["book", "pen"], (await _client.GetFromJsonAsync<string[]>("/api/cart"))!);

        // Another client has another session.
        Assert.Empty((await factory.CreateClient().GetFromJsonAsync<string[]>("/api/cart"))!);
        Kv.AtomicKvAdaptor adaptor = factory.Services.GetRequiredService<Kv.AtomicKvAdaptor>();
        Assert.True(await adaptor.Namespace("sessions").CountAsync() >= 1, "the session lives in the Kv namespace 'sessions'");
    }

    [Fact]
    public async Task Cached_user_is_served_from_Kv_after_the_first_read_and_reloaded_after_a_save()
    {
        JsonElement first = await _client.GetFromJsonAsync<JsonElement>("/api/users/2");
        JsonElement second = await _client.GetFromJsonAsync<JsonElement>("/api/users/2");
        await _client.PutAsJsonAsync("/api/users/2", new { name = "Robert", email = "bob@example.com" });
        JsonElement third = await _client.GetFromJsonAsync<JsonElement>("/api/users/2");

        Assert.Equal("database", first.GetProperty("source").GetString());
        Assert.Equal("cache", second.GetProperty("source").GetString());
        Assert.Equal("Bob", second.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("database", third.GetProperty("source").GetString());
        Assert.Equal("Robert", third.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/users/nobody")).StatusCode);
    }

    [Fact]
    public async Task Feature_flags_are_off_until_set()
    {
        string flag = "flag-" + Guid.NewGuid().ToString("N")[..8];

        JsonElement before = await _client.GetFromJsonAsync<JsonElement>($"/api/flags/{flag}");
        await _client.PutAsJsonAsync($"/api/flags/{flag}", new { enabled = true });
        JsonElement after = await _client.GetFromJsonAsync<JsonElement>($"/api/flags/{flag}");

        Assert.False(before.GetProperty("enabled").GetBoolean());
        Assert.True(after.GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task Metrics_endpoint_serves_Kv_and_AspNetCore_series_in_the_Prometheus_text_format()
    {
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/counters/metered-secret", null)).StatusCode);
        await _client.GetAsync("/api/users/1");
        await _client.GetAsync("/api/users/1");
        // (Not /api/limited: its per-IP window belongs to the rate-limiting test of this host.)
        await _client.PostAsync($"/api/inventory/secret-{Guid.NewGuid():N}/reserve", null);
        string backend = factory is RedisSampleAppFactory ? "redis" : "memory";

        // The exporter may serve a scrape cached for a moment: scrape until the series are there.
        PrometheusSeries[] series = [];
        string contentType = "";
        for (int attempt = 0; attempt < 50; attempt++)
        {
            HttpResponseMessage response = await _client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            contentType = response.Content.Headers.ContentType?.MediaType ?? "";
            series = PrometheusSeries.Parse(await response.Content.ReadAsStringAsync());
            if (series.Any(s => s.Name == "kv_lock_acquisitions_total")
                && series.Any(s => s.Name == "db_client_operation_duration_seconds_count" && s.Labels.GetValueOrDefault("db_operation_name") == "increment"))
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal("text/plain", contentType);

        // Kv's store operations: OpenTelemetry's database-client histogram, with the backend and the operation
        // (and the top-level namespace, which appsettings.json turns on).
        Assert.Contains(series, s => s.Name == "db_client_operation_duration_seconds_count"
            && s.Labels.GetValueOrDefault("db_system_name") == backend
            && s.Labels.GetValueOrDefault("db_operation_name") == "increment"
            && s.Labels.GetValueOrDefault("kv_namespace") == "counters"
            && s.Value >= 1);
        Assert.Contains(series, s => s.Name == "db_client_operation_duration_seconds_bucket" && s.Labels.ContainsKey("le"));
        Assert.Contains(series, s => s.Name is "kv_hits_total" or "kv_misses_total" && s.Labels.GetValueOrDefault("db_system_name") == backend);
        Assert.Contains(series, s => s.Name == "kv_lock_acquisitions_total" && s.Labels.ContainsKey("kv_lock_result"));

        // ASP.NET Core's own request metrics, by route.
        Assert.Contains(series, s => s.Name == "http_server_request_duration_seconds_count"
            && s.Labels.GetValueOrDefault("http_route") == "/counters/{key}");

        // No key and no lock name in any series.
        Assert.DoesNotContain(series, s => s.Labels.Values.Any(v => v.Contains("secret", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OpenApi_document_describes_the_controllers()
    {
        HttpResponseMessage response = await _client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement document = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(document.TryGetProperty("openapi", out _));
        JsonElement paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/inventory/{item}/reserve", out _));
        Assert.True(paths.TryGetProperty("/api/users/{id}", out _));
    }

    [Fact]
    public async Task Keyed_namespace_reads_what_the_adaptor_wrote_in_its_namespace()
    {
        await factory.Services.GetRequiredService<Kv.AtomicKvAdaptor>().Namespace("notes").SetAsync("keyed", "from keyed");

        Assert.Equal("from keyed", await _client.GetFromJsonAsync<string>("/notes/keyed"));
    }
}

/// <summary>One sample line of the Prometheus text format: <c>name{label="value",...} value</c>.</summary>
internal sealed partial record PrometheusSeries(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public static PrometheusSeries[] Parse(string text) =>
    [
        .. text.Split('\n')
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => SampleLine().Match(line))
            .Where(match => match.Success)
            .Select(match => new PrometheusSeries(
                match.Groups["name"].Value,
                LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value),
                double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture))),
    ];

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial System.Text.RegularExpressions.Regex SampleLine();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial System.Text.RegularExpressions.Regex LabelPair();
}
