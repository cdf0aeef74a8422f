using System.Text.Json;
using Kv.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Kv.Memory.Tests;

public sealed class KvServiceCollectionExtensionsTests
{
    [Fact]
    public void AddKv_RegistersOneMemoryKvAsAtomicKvAdaptorKvAdaptorAndMemoryKv()
    {
        using ServiceProvider provider = new ServiceCollection().AddKv().Services.BuildServiceProvider();

        var memory = provider.GetRequiredService<MemoryKv>();
        Assert.Same(memory, provider.GetRequiredService<AtomicKvAdaptor>());
        Assert.Same(memory, provider.GetRequiredService<KvAdaptor>());
    }

    [Fact]
    public void AddKv_RegistersTheHostedGcService()
    {
        using ServiceProvider provider = new ServiceCollection().AddLogging().AddKv().Services.BuildServiceProvider();

        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Equal(TimeSpan.FromSeconds(60), provider.GetRequiredService<AtomicKvAdaptor>().CollectionInterval);
    }

    [Fact]
    public void AddKv_UsesTimeProviderSystemByDefault()
    {
        using ServiceProvider provider = new ServiceCollection().AddKv().Services.BuildServiceProvider();

        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public async Task AddKv_DoesNotReplaceUserRegisteredTimeProvider()
    {
        var clock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddKv();
        using ServiceProvider provider = services.BuildServiceProvider();
        IAtomicKvStore store = provider.GetRequiredService<AtomicKvAdaptor>().Namespace("n");

        await store.SetAsync("k", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1)));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Same(clock, provider.GetRequiredService<TimeProvider>());
        Assert.False(await store.ExistsAsync("k"));
    }

    [Fact]
    public void AddKv_CalledTwice_RegistersNothingTwice()
    {
        var once = new ServiceCollection();
        once.AddKv();
        var twice = new ServiceCollection();
        twice.AddKv();
        twice.AddKv();

        Assert.Equal(once.Count, twice.Count);
        using ServiceProvider provider = twice.AddLogging().BuildServiceProvider();
        Assert.Single(provider.GetServices<AtomicKvAdaptor>());
        Assert.Single(provider.GetServices<IHostedService>());
    }

    [Fact]
    public void AddKv_AllowsChaining()
    {
        var services = new ServiceCollection();

        IKvBuilder builder = services.AddKv().UseMemory().AddNamespace("a").AddNamespace("b");

        Assert.Same(services, builder.Services);
    }

    [Fact]
    public async Task AddKv_BindsMemoryOptionsFromTheKvConfigurationSection()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kv:Memory:MaxEntries"] = "1",
                ["Kv:Memory:GcInterval"] = "00:00:30",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddKv();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<MemoryKvOptions>>().Value.GcInterval);
        IAtomicKvStore store = provider.GetRequiredService<AtomicKvAdaptor>().Namespace("n");
        await store.SetAsync("one", 1);
        Assert.Equal(KvErrorCode.CapacityExceeded, (await Assert.ThrowsAsync<KvException>(() => store.SetAsync("two", 2).AsTask())).Code);
    }

    [Fact]
    public async Task AddKv_WithConfigure_AppliesSerializerOptions()
    {
        var services = new ServiceCollection();
        services.AddKv(o => o.SerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web));
        using ServiceProvider provider = services.BuildServiceProvider();
        IAtomicKvStore store = provider.GetRequiredService<AtomicKvAdaptor>().Namespace("n");

        await store.SetAsync("k", new { FirstName = "Ada" });

        Assert.Equal("Ada", (await store.GetAsync<JsonElement>("k")).GetProperty("firstName").GetString());
    }

    [Theory]
    [InlineData("Kv:Memory:GcInterval", "-00:00:01")]
    [InlineData("Kv:Memory:GcInterval", "2.00:00:00")]
    [InlineData("Kv:Memory:MaxEntries", "0")]
    [InlineData("Kv:Memory:MaxBytes", "-1")]
    public async Task Invalid_options_fail_at_start_up(string key, string value)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.Services.AddKv();
        using IHost host = builder.Build();

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddNamespace_RegistersAKeyedStoreForConstructorInjection()
    {
        var services = new ServiceCollection();
        services.AddKv().AddNamespace("sessions");
        services.AddSingleton<SessionService>();
        using ServiceProvider provider = services.BuildServiceProvider();

        var service = provider.GetRequiredService<SessionService>();
        await service.Store.SetAsync("s1", "alice");

        Assert.Equal("alice", await provider.GetRequiredService<AtomicKvAdaptor>().Namespace("sessions").GetAsync<string>("s1"));
        Assert.Equal("alice", await provider.GetRequiredKeyedService<IKvStore>("sessions").GetAsync<string>("s1"));
        Assert.Same(service.Store, provider.GetRequiredKeyedService<IAtomicKvStore>("sessions"));
    }

    [Fact]
    public async Task AddNamespace_WithFactory_RegistersANestedNamespace()
    {
        var services = new ServiceCollection();
        services.AddKv().AddNamespace("admin-sessions", kv => kv.Namespace("sessions").Namespace("admin"));
        using ServiceProvider provider = services.BuildServiceProvider();

        await provider.GetRequiredKeyedService<IAtomicKvStore>("admin-sessions").SetAsync("k", 1);

        Assert.Equal(1, await provider.GetRequiredService<AtomicKvAdaptor>().Namespace("sessions").Namespace("admin").GetAsync<int>("k"));
    }

    [Fact]
    public void AddNamespace_RejectsAnInvalidNameAtRegistration()
    {
        IKvBuilder builder = new ServiceCollection().AddKv();

        Assert.Equal(KvErrorCode.InvalidNamespace, Assert.Throws<KvException>(() => builder.AddNamespace("a:b")).Code);
        Assert.Equal(KvErrorCode.EmptyNamespace, Assert.Throws<KvException>(() => builder.AddNamespace(" ")).Code);
    }

    [Fact]
    public void UseAdaptor_ReplacesTheBackend_AndTheOneGcServiceServesIt()
    {
        var services = new ServiceCollection();
        var other = new MemoryKv(new MemoryKvOptions { GcInterval = TimeSpan.FromSeconds(7) });
        services.AddKv().UseAdaptor(_ => other);
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(other, provider.GetRequiredService<AtomicKvAdaptor>());
        Assert.Same(other, provider.GetRequiredService<KvAdaptor>());
        Assert.Single(provider.GetServices<IHostedService>());
        Assert.Equal(TimeSpan.FromSeconds(7), provider.GetRequiredService<AtomicKvAdaptor>().CollectionInterval);
    }

    [Fact]
    public async Task AddKv_WithAnotherBackend_NeverBindsOrValidatesTheMemoryDefault()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kv:Memory:GcInterval"] = "-00:00:01" });
        var other = new MemoryKv();
        builder.Services.AddKv().UseAdaptor(_ => other);
        using IHost host = builder.Build();

        await host.StartAsync();
        Assert.Same(other, host.Services.GetRequiredService<AtomicKvAdaptor>());
        await host.StopAsync();
    }

    [Fact]
    public void AddKv_OnABareServiceCollection_ResolvesTheAdaptorAndEveryHostedService()
    {
        using ServiceProvider provider = new ServiceCollection().AddKv().UseMemory().Services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<AtomicKvAdaptor>());
        Assert.Single(provider.GetServices<IHostedService>());
    }

    [Fact]
    public void UseMemory_AfterAnotherBackend_RestoresMemoryAndItsGc()
    {
        var services = new ServiceCollection();
        services.AddLogging().AddKv().UseAdaptor(_ => new MemoryKv()).UseMemory();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<MemoryKv>(), provider.GetRequiredService<AtomicKvAdaptor>());
        Assert.Single(provider.GetServices<IHostedService>());
    }

    private sealed class SessionService([FromKeyedServices("sessions")] IAtomicKvStore store)
    {
        public IAtomicKvStore Store { get; } = store;
    }
}
