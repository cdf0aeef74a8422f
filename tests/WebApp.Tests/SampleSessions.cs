using System.Net.Http.Json;
using Kv;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace WebApp.Tests;

/// <summary>The sample's session cart over HTTP, with the session cookie passed by hand from one instance to another.</summary>
internal static class SampleSessions
{
    /// <summary>Adds an item; returns the session cookie (<c>name=value</c>) the request used or was given.</summary>
    public static async Task<string> AddToCartAsync(HttpClient client, string? cookie, string item)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/cart/items") { Content = JsonContent.Create(new { name = item }) };
        AddCookie(request, cookie);
        using HttpResponseMessage response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        if (response.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? issued))
        {
            return Assert.Single(issued, c => c.StartsWith(".WebApp.Session=", StringComparison.Ordinal)).Split(';')[0];
        }

        return cookie ?? throw new InvalidOperationException("The first request issued no session cookie.");
    }

    /// <summary>The cart of the session the cookie names.</summary>
    public static async Task<string[]> CartAsync(HttpClient client, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/cart");
        AddCookie(request, cookie);
        using HttpResponseMessage response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<string[]>() ?? [];
    }

    /// <summary>
    /// Asserts that the app keeps its key ring in Kv (namespace <c>dataprotection</c>), not in the framework's default
    /// folder, which two instances on one machine would share anyway.
    /// </summary>
    public static async Task AssertKeyRingIsInKvAsync(IServiceProvider services)
    {
        Assert.IsType<KvXmlRepository>(services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository);
        KvListResult ring = await services.GetRequiredService<AtomicKvAdaptor>().Namespace("dataprotection").ListAsync();
        Assert.NotEmpty(ring.Keys);
        Assert.All(ring.Keys, k => Assert.StartsWith("key-", k.Name, StringComparison.Ordinal));
    }

    private static void AddCookie(HttpRequestMessage request, string? cookie)
    {
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
    }
}
