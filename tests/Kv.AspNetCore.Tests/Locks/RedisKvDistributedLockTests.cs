using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Conformance;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Tests.Locks;

/// <summary>
/// The lock on Redis: four adaptors (four multiplexers, as four app instances) on one redis-server this class starts
/// itself. Redis counts TTLs on its own clock, so leases here are short and real time passes.
/// </summary>
public sealed class RedisKvDistributedLockTests(OwnRedisServerFixture redis) : KvDistributedLockTests, IClassFixture<OwnRedisServerFixture>
{
    private readonly string _instanceName = OwnRedisServerFixture.NewInstanceName();
    private readonly Dictionary<TimeProvider, RedisKv[]> _adaptors = [];

    protected override TimeProvider Clock => TimeProvider.System;

    protected override TimeSpan ShortLease => TimeSpan.FromSeconds(1.5);

    protected override IAtomicKvStore Store(int instance, TimeProvider clock)
    {
        lock (_adaptors)
        {
            if (!_adaptors.TryGetValue(clock, out RedisKv[]? adaptors))
            {
                adaptors = [.. Enumerable.Range(0, Instances).Select(_ => redis.CreateAdaptor(_instanceName, clock))];
                _adaptors[clock] = adaptors;
            }

            return adaptors[instance].Namespace("locks");
        }
    }

    protected override Task PassTimeAsync(TimeSpan by, KvDistributedLockHandle? renewing = null) => Task.Delay(by);

    protected override Task<T> DriveAsync<T>(Task<T> task) => task;

    public override async Task DisposeAsync()
    {
        foreach (RedisKv adaptor in _adaptors.Values.SelectMany(a => a))
        {
            await adaptor.DisposeAsync();
        }
    }

    [Fact]
    public async Task HandleLostToken_fires_when_Redis_is_down_until_the_lease_ends()
    {
        string name = NewLockName();
        using var logs = new CapturingLoggerProvider();
        var provider = new KvDistributedLockProvider(Store(0, Clock), new KvDistributedLockOptions { Lease = ShortLease }, Clock, logs);
        KvDistributedLockHandle handle = (await provider.TryAcquireAsync(name))!;

        await redis.Server.StopAsync();
        try
        {
            await Eventually.TrueAsync(() => handle.IsLost, "HandleLostToken fired while Redis was down");
        }
        finally
        {
            await redis.Server.RestartAsync();
        }

        var lost = Assert.Single(logs.Events, e => e.EventId.Id == 4001);
        Assert.Equal(LogLevel.Warning, lost.Level);
        Assert.DoesNotContain(name, lost.Message, StringComparison.Ordinal);
        Assert.All(logs.Events, e => Assert.DoesNotContain(name, e.Message, StringComparison.Ordinal));
        await handle.DisposeAsync(); // Lost: nothing to release, and no error.
    }

    [Fact]
    public async Task HandleLostToken_fires_when_Redis_restarts_and_loses_the_lock()
    {
        string name = NewLockName();
        KvDistributedLockHandle handle = (await Provider(0).TryAcquireAsync(name))!;
        Assert.False(handle.IsLost);

        // Persistence is off: the restarted server has no lock key, so the next renewal's version check fails.
        await redis.Server.StopAsync();
        await redis.Server.RestartAsync();

        await Eventually.TrueAsync(() => handle.IsLost, "HandleLostToken fired after the restart");
        await handle.DisposeAsync();
        await using KvDistributedLockHandle? next = await Provider(1).AcquireAsync(name, timeout: TimeSpan.FromSeconds(30));
        Assert.NotNull(next);
    }
}
