using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kv;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Time.Testing;
using WebApp.Services;
using Xunit;

namespace WebApp.Tests;

/// <summary>The sample app behind a proxy, and its lock-protected write against a holder that lost its lock.</summary>
public sealed class SampleAppHardeningTests
{
    [Fact]
    public async Task Per_IP_limit_behind_a_reverse_proxy_limits_each_client_not_everyone_together()
    {
        // Behind a proxy (the usual set-up for several instances sharing one Redis) every connection comes from the
        // proxy; the client is in X-Forwarded-For. Client A exhausting its limit must not lock out client B.
        // The test server's connections come from loopback: trusted here only because configuration lists it.
        await using WebApplicationFactory<Program> factory = new WebApplicationFactory<Program>()
            .WithWebHostBuilder(b => b.UseSetting("ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8"));
        HttpClient client = factory.CreateClient();
        string a = "203.0.113." + Random.Shared.Next(1, 120).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string b = "198.51.100." + Random.Shared.Next(1, 120).ToString(System.Globalization.CultureInfo.InvariantCulture);

        HttpStatusCode last = HttpStatusCode.OK;
        for (int i = 0; i < 21 && last != HttpStatusCode.TooManyRequests; i++)
        {
            last = (await SendAsync(client, a)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, b)).StatusCode);
    }

    [Fact]
    public async Task By_default_distinct_X_Forwarded_For_headers_are_limited_as_one_client()
    {
        // Issue 16, finding 3: with loopback trusted, 100 requests with 100 forged addresses were all admitted.
        await using var factory = new WebApplicationFactory<Program>();
        HttpClient client = factory.CreateClient();

        int admitted = 0;
        for (int i = 0; i < 100; i++)
        {
            string forged = "203.0." + (i / 250).ToString(System.Globalization.CultureInfo.InvariantCulture) + "."
                + (i % 250 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if ((await SendAsync(client, forged)).StatusCode == HttpStatusCode.OK)
            {
                admitted++;
            }
        }

        // 10 a window; a run may straddle two fixed windows, so at most 20.
        Assert.InRange(admitted, 10, 20);
    }

    [Fact]
    public async Task A_holder_that_lost_its_lock_between_read_and_write_cannot_overwrite_the_newer_holders_write()
    {
        // The service's doc: "a holder that lost its lock while paused cannot overwrite a newer holder's write".
        // Holder A reads, then (while serializing its write) pauses past its lease; B takes the lock and reserves.
        var clock = new FakeTimeProvider();
        InventoryService? service = null;
        int paused = 0;
        var hook = new PauseOnFirstWrite(() =>
        {
            if (Interlocked.Exchange(ref paused, 1) == 0)
            {
                clock.Advance(TimeSpan.FromSeconds(11)); // A's 10 s lease runs out while it is paused
                Task.Run(() => service!.ReserveAsync("widget", CancellationToken.None)).GetAwaiter().GetResult();
            }
        });
        var json = KvValueSerializer.CreateDefaultOptions();
        json.Converters.Add(hook);
        var kv = new MemoryKv(new MemoryKvOptions(), clock, new KvValueSerializer(json));
        var locks = new KvDistributedLockProvider(
            kv.Namespace("locks"),
            new KvDistributedLockOptions { Lease = TimeSpan.FromSeconds(10), RenewalInterval = Timeout.InfiniteTimeSpan },
            clock);
        service = new InventoryService(kv, locks);

        int succeeded = 1; // B's reservation, run inside the hook, succeeded (it would have thrown otherwise)
        try
        {
            await service.ReserveAsync("widget", CancellationToken.None);
            succeeded++;
        }
        catch (Exception ex) when (ex is InvalidOperationException or KvException)
        {
            // A refused as a stale holder: the right outcome.
        }

        Assert.Equal(1, paused);
        Assert.Equal(succeeded, await service.GetReservedAsync("widget", CancellationToken.None));
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/limited");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }

    /// <summary>Serializes <see cref="InventoryService.Stock"/> normally, after running a hook on each write.</summary>
    private sealed class PauseOnFirstWrite(Action hook) : JsonConverter<InventoryService.Stock>
    {
        public override InventoryService.Stock? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            return new InventoryService.Stock(root.GetProperty("reserved").GetInt64(), root.GetProperty("fencingToken").GetInt64());
        }

        public override void Write(Utf8JsonWriter writer, InventoryService.Stock value, JsonSerializerOptions options)
        {
            hook();
            writer.WriteStartObject();
            writer.WriteNumber("reserved", value.Reserved);
            writer.WriteNumber("fencingToken", value.FencingToken);
            writer.WriteEndObject();
        }
    }
}
