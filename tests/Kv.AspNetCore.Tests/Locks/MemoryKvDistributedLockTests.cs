using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.Locks;

/// <summary>The lock on MemoryKv: four providers on one store, a fake clock for leases, renewal and timeouts.</summary>
public sealed class MemoryKvDistributedLockTests : KvDistributedLockTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly Dictionary<TimeProvider, MemoryKv> _stores = [];

    protected override TimeProvider Clock => _clock;

    protected override TimeSpan ShortLease => TimeSpan.FromSeconds(30);

    protected override IAtomicKvStore Store(int instance, TimeProvider clock)
    {
        lock (_stores)
        {
            if (!_stores.TryGetValue(clock, out MemoryKv? kv))
            {
                kv = new MemoryKv(new MemoryKvOptions(), clock);
                _stores[clock] = kv;
            }

            return kv.Namespace("locks");
        }
    }

    protected override async Task PassTimeAsync(TimeSpan by, KvDistributedLockHandle? renewing = null)
    {
        // Steps that divide the renewal interval (a third of the lease), so each renewal fires on a step.
        TimeSpan step = ShortLease / 12;
        TimeSpan interval = ShortLease / 3;
        for (TimeSpan passed = step; passed <= by; passed += step)
        {
            _clock.Advance(step);
            if (renewing is not null)
            {
                int expected = (int)(passed / interval);
                await Eventually.TrueAsync(() => renewing.Renewals >= expected || renewing.IsLost, $"renewal {expected} ran");
            }
            else
            {
                await Task.Delay(5);
            }
        }
    }

    protected override async Task<T> DriveAsync<T>(Task<T> task)
    {
        for (int i = 0; i < 10_000 && !task.IsCompleted; i++)
        {
            _clock.Advance(ShortLease / 100);
            await Task.Delay(1);
        }

        return await task;
    }

    [Fact]
    public async Task HandleLostToken_fires_when_no_renewal_succeeds_before_the_lease_ends()
    {
        // The renewal timer fires only when the clock moves: jump past the whole lease at once, as a process paused
        // for longer than its lease would see it.
        string name = NewLockName();
        KvDistributedLockHandle handle = (await Provider(0).TryAcquireAsync(name))!;

        _clock.Advance(ShortLease * 2);

        await Eventually.TrueAsync(() => handle.IsLost, "the lease ended before any renewal");
        await handle.DisposeAsync();
    }
}
