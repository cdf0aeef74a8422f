using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace WebApp.Tests;

/// <summary>The sample switched to SQLite by configuration alone (Kv:Provider=Sqlite): its data survives a restart.</summary>
public sealed class SqliteSampleAppTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kv-webapp-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Data_survives_a_restart_of_the_app()
    {
        string path = Path.Combine(_folder, "data", "kv.db");
        await using (WebApplicationFactory<Program> first = Create(path))
        {
            Assert.Equal("SqliteKv", first.Services.GetRequiredService<Kv.AtomicKvAdaptor>().GetType().Name);
            HttpClient client = first.CreateClient();
            HttpResponseMessage put = await client.PutAsJsonAsync("/kv/notes/greeting", new { text = "kept" });
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/counters/visits", null)).StatusCode);
        }

        Assert.True(File.Exists(path));
        await using WebApplicationFactory<Program> second = Create(path);
        HttpClient restarted = second.CreateClient();
        JsonElement body = await restarted.GetFromJsonAsync<JsonElement>("/kv/notes/greeting");
        Assert.Equal("kept", body.GetProperty("value").GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.OK, (await restarted.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Two_instances_on_one_file_share_the_session_cookie_and_a_restart_of_both_keeps_it()
    {
        string path = Path.Combine(_folder, "data", "kv.db");
        string cookie;
        await using (WebApplicationFactory<Program> first = Create(path))
        await using (WebApplicationFactory<Program> second = Create(path))
        {
            cookie = await SampleSessions.AddToCartAsync(first.CreateClient(), cookie: null, "book");
            Assert.Equal(["book"], await SampleSessions.CartAsync(second.CreateClient(), cookie));
            await SampleSessions.AssertKeyRingIsInKvAsync(second.Services);
        }

        await using WebApplicationFactory<Program> restarted = Create(path);
        Assert.Equal(["book"], await SampleSessions.CartAsync(restarted.CreateClient(), cookie));
    }

    private static WebApplicationFactory<Program> Create(string path) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Kv:Provider", "Sqlite");
            b.UseSetting("Kv:Sqlite:Path", path);
        });
}
