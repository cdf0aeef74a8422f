using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace WebApp.Tests;

/// <summary>Issue 16, finding 1: every malformed request the probe sent is the client's error, a 4xx with a
/// ProblemDetails body, never a 500.</summary>
public sealed class MalformedRequestTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly HttpClient _client = factory.CreateClient();

    public static TheoryData<string, string> BadBodies => new()
    {
        { "truncated", "{\"a\":" },
        { "empty", "" },
        { "NaN", "NaN" },
        { "trailing garbage", "{\"a\":1} xyz" },
        { "two values", "1 2" },
        { "comment", "/* c */ 1" },
        { "depth 65", new string('[', 65) + new string(']', 65) },
        { "depth 100000", new string('[', 100_000) + new string(']', 100_000) },
        { "lone surrogate", "\"\\ud800\"" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_malformed_json_body_is_400(string name, string body)
    {
        HttpResponseMessage response = await _client.PutAsync("/kv/notes/a", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'"', 0xFF, 0xFE, (byte)'"' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', 0xC3, (byte)'"', (byte)':', (byte)'1', (byte)'}' })]
    public async Task A_body_with_invalid_UTF8_is_400_and_stores_nothing(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        HttpResponseMessage response = await _client.PutAsync("/kv/notes/utf8", content);

        // Decided: invalid UTF-8 is refused, never stored as U+FFFD (Kv refuses text that is not valid Unicode).
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/kv/notes/utf8")).StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json; charset=bogus")]
    [InlineData("application/json; ;;=;x")]
    public async Task A_bad_content_type_is_a_4xx(string? contentType)
    {
        var content = new ByteArrayContent("1"u8.ToArray());
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        HttpResponseMessage response = await _client.PutAsync("/kv/notes/a", content);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("99999999999")]
    public async Task A_bad_ttl_is_400(string ttl)
    {
        HttpResponseMessage response = await _client.PutAsync($"/kv/notes/a?ttlSeconds={ttl}", Json("1"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("users", "user:1", "/api/users/1")]
    [InlineData("flags", "f1", "/api/flags/f1")]
    [InlineData("inventory", "w1", "/api/inventory/w1")]
    [InlineData("notes", "n1", "/notes/n1")]
    public async Task A_value_planted_through_the_generic_endpoint_does_not_break_a_typed_endpoint(string ns, string key, string typedUrl)
    {
        await _client.PutAsync($"/kv/{ns}/{key}", Json("42"));

        HttpResponseMessage response = await _client.GetAsync(typedUrl);

        Assert.InRange((int)response.StatusCode, 200, 499);
    }

    [Fact]
    public async Task The_generic_endpoint_cannot_write_other_features_namespaces()
    {
        await _client.PutAsync("/kv/users/user:1", Json("42"));

        HttpResponseMessage response = await _client.GetAsync("/api/users/1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Alice", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
}
