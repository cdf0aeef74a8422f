using Kv.Conformance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Kv.Memory.Tests;

public sealed class MemoryKvGcServiceTests
{
    [Fact]
    public async Task Hosted_gc_runs_a_pass_on_each_60_second_tick_of_the_registered_clock()
    {
        var clock = new FakeTimeProvider();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddKv();
        using IHost host = builder.Build();
        var kv = host.Services.GetRequiredService<MemoryKv>();
        IAtomicKvStore store = kv.Namespace("gc");
        await store.SetAsync("expiring", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(10)));
        await store.SetAsync("permanent", 2);

        await host.StartAsync();
        await Eventually.TrueAsync(() => clock.ActiveTimerPeriods.Contains(TimeSpan.FromSeconds(60)), "the GC starts a 60 s timer on the registered clock");

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(2, kv.EntryCount); // expired at 10 s, but no tick yet: nothing could collect it

        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => kv.EntryCount == 1, "the 60 s tick runs a GC pass");

        await store.SetAsync("second", 3, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1)));
        clock.Advance(TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => kv.EntryCount == 1, "every tick runs a pass, not only the first");
        Assert.True(await store.ExistsAsync("permanent"));

        await host.StopAsync();
        Assert.DoesNotContain(TimeSpan.FromSeconds(60), clock.ActiveTimerPeriods);
    }

    [Fact]
    public async Task Hosted_gc_uses_the_configured_interval()
    {
        var clock = new FakeTimeProvider();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddKv().UseMemory(o => o.GcInterval = TimeSpan.FromSeconds(5));
        using IHost host = builder.Build();
        var kv = host.Services.GetRequiredService<MemoryKv>();
        await kv.Namespace("gc").SetAsync("k", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1)));

        await host.StartAsync();
        await Eventually.TrueAsync(() => clock.ActiveTimerPeriods.Contains(TimeSpan.FromSeconds(5)), "the GC starts a 5 s timer");
        clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => kv.EntryCount == 0, "the 5 s tick runs a GC pass");
        await host.StopAsync();
    }
}
