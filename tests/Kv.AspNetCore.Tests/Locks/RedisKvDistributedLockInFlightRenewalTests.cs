using Kv.AspNetCore.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.Locks;

/// <summary>
/// releasing a lock while a renewal is in flight. Cancelling the renewal on release does not stop a command
/// that was already sent; Redis applies it (a new version) before the release's compare-and-delete, which then finds
/// another version and deletes nothing: the lock stays taken for a whole lease after a successful DisposeAsync.
/// </summary>
public sealed class RedisKvDistributedLockInFlightRenewalTests(OwnRedisServerFixture redis) : IClassFixture<OwnRedisServerFixture>, IAsyncLifetime
{
    private readonly string _instanceName = OwnRedisServerFixture.NewInstanceName();
    private readonly List<RedisKv> _adaptors = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (RedisKv adaptor in _adaptors)
        {
            await adaptor.DisposeAsync();
        }
    }

    private KvDistributedLockProvider Provider(KvDistributedLockOptions options)
    {
        RedisKv adaptor = redis.CreateAdaptor(_instanceName);
        _adaptors.Add(adaptor);
        return new KvDistributedLockProvider(adaptor.Namespace("locks"), options);
    }

    [Fact]
    public async Task Dispose_during_an_in_flight_renewal_still_releases_the_lock()
    {
        var options = new KvDistributedLockOptions { Lease = TimeSpan.FromSeconds(4), RenewalInterval = TimeSpan.FromSeconds(1) };
        KvDistributedLockProvider holder = Provider(options);
        KvDistributedLockProvider other = Provider(options);
        string name = "lock:" + Guid.NewGuid().ToString("N");
        await using (KvDistributedLockHandle? warmUp = await other.TryAcquireAsync(name + ":warm-up"))
        {
            Assert.NotNull(warmUp); // connects the second adaptor before the server is frozen
        }

        KvDistributedLockHandle handle = (await holder.TryAcquireAsync(name))!;
        Assert.NotNull(handle);

        // Freeze the server so that the first renewal (sent at about 1 s) is in flight when the handle is disposed.
        redis.Server.Freeze();
        Task dispose;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Equal(0, handle.Renewals);
            dispose = handle.DisposeAsync().AsTask();
            await Task.Delay(TimeSpan.FromMilliseconds(300));
        }
        finally
        {
            redis.Server.Thaw();
        }

        await dispose;

        // Released: someone else can take it now, not a lease later.
        await using KvDistributedLockHandle? next = await other.TryAcquireAsync(name);
        Assert.NotNull(next);
    }
}

/// <summary>
/// a renewal that Redis applied but whose reply the client gave up on (OperationTimeout) moves the entry's
/// version on. The next attempt checks the old version, fails, and the handle reports the lock lost although the entry
/// still holds its owner token: a spurious HandleLostToken, and the lock is then left taken (no release) for a lease.
/// </summary>
public sealed class RedisKvDistributedLockLateReplyTests(OwnRedisServerFixture redis) : IClassFixture<OwnRedisServerFixture>, IAsyncLifetime
{
    private readonly string _instanceName = OwnRedisServerFixture.NewInstanceName();
    private readonly List<RedisKv> _adaptors = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (RedisKv adaptor in _adaptors)
        {
            await adaptor.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_renewal_applied_after_its_timeout_does_not_make_the_handle_lost()
    {
        var adaptor = new RedisKv(new RedisKvOptions { Configuration = redis.EndPoint, InstanceName = _instanceName, OperationTimeout = TimeSpan.FromMilliseconds(400) });
        _adaptors.Add(adaptor);
        var provider = new KvDistributedLockProvider(
            adaptor.Namespace("locks"), new KvDistributedLockOptions { Lease = TimeSpan.FromSeconds(15), RenewalInterval = TimeSpan.FromSeconds(1) });
        string name = "lock:" + Guid.NewGuid().ToString("N");
        KvDistributedLockHandle handle = (await provider.TryAcquireAsync(name))!;
        Assert.NotNull(handle);

        // The renewal sent at about 1 s times out on the client while the server is frozen, and is applied on thaw.
        redis.Server.Freeze();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1.7));
        }
        finally
        {
            redis.Server.Thaw();
        }

        // Let the retries and the next regular renewals run.
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < until && !handle.IsLost)
        {
            await Task.Delay(100);
        }

        Assert.False(handle.IsLost, "the entry still holds this handle's owner token: the lock was never lost");
        Assert.True(handle.Renewals > 0);
        await handle.DisposeAsync();
        await using KvDistributedLockHandle? next = await provider.TryAcquireAsync(name);
        Assert.NotNull(next); // released by the dispose
    }
}
