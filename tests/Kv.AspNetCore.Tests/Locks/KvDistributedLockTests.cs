using Kv.Conformance;

namespace Kv.AspNetCore.Tests.Locks;

/// <summary>
/// The distributed lock's behaviour, written once and run on every backend. A backend gives stores of four "instances"
/// that share data (four adaptors on one Redis; four providers on one MemoryKv), and a way to let lease time pass.
/// </summary>
public abstract class KvDistributedLockTests : IAsyncLifetime
{
    protected const int Instances = 4;

    /// <summary>The clock time-sensitive tests run on: a fake clock on memory, real time on Redis (whose TTLs run on its own clock).</summary>
    protected abstract TimeProvider Clock { get; }

    /// <summary>A lease short enough for the test to outlive a few of them.</summary>
    protected abstract TimeSpan ShortLease { get; }

    /// <summary>Stores of instance <paramref name="instance"/> (0-3), all sharing one backend, on <paramref name="clock"/>.</summary>
    protected abstract IAtomicKvStore Store(int instance, TimeProvider clock);

    /// <summary>Lets <paramref name="by"/> pass on <see cref="Clock"/>; with <paramref name="renewing"/>, stepwise, waiting
    /// for each renewal it makes on the way.</summary>
    protected abstract Task PassTimeAsync(TimeSpan by, KvDistributedLockHandle? renewing = null);

    /// <summary>Waits for <paramref name="task"/>, moving <see cref="Clock"/> on if it is a fake one.</summary>
    protected abstract Task<T> DriveAsync<T>(Task<T> task);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected KvDistributedLockProvider Provider(int instance, TimeProvider? clock = null, KvDistributedLockOptions? options = null) =>
        new(Store(instance, clock ?? Clock), options ?? new KvDistributedLockOptions { Lease = ShortLease }, clock ?? Clock);

    protected static string NewLockName() => "lock:" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Only_one_holder_at_a_time_among_100_tasks_on_four_instances()
    {
        // Time is not under test here: the system clock, so waiters poll in real time.
        var options = new KvDistributedLockOptions
        {
            Lease = TimeSpan.FromSeconds(30),
            MinPollInterval = TimeSpan.FromMilliseconds(1),
            MaxPollInterval = TimeSpan.FromMilliseconds(20),
        };
        KvDistributedLockProvider[] providers = [.. Enumerable.Range(0, Instances).Select(i => Provider(i, TimeProvider.System, options))];
        string name = NewLockName();
        int holders = 0;
        int maxHolders = 0;
        int completed = 0;
        long counter = 0;
        var tokens = new List<long>();

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            await using KvDistributedLockHandle handle = await providers[i % Instances].AcquireAsync(name, timeout: TimeSpan.FromMinutes(2));
            int now = Interlocked.Increment(ref holders);
            InterlockedMax(ref maxHolders, now);
            long read = counter;
            await Task.Yield();
            counter = read + 1; // A non-atomic read-modify-write: only mutual exclusion keeps it exact.
            lock (tokens)
            {
                tokens.Add(handle.FencingToken);
            }

            Interlocked.Decrement(ref holders);
            Interlocked.Increment(ref completed);
        })));

        Assert.Equal(1, maxHolders);
        Assert.Equal(100, completed);
        Assert.Equal(100, counter);
        Assert.Equal(100, tokens.Distinct().Count());
    }

    [Fact]
    public async Task TryAcquire_returns_null_while_held_and_the_lock_after_release()
    {
        string name = NewLockName();
        KvDistributedLockProvider first = Provider(0);
        KvDistributedLockProvider second = Provider(1);

        KvDistributedLockHandle? held = await first.TryAcquireAsync(name);
        Assert.NotNull(held);
        Assert.Null(await second.TryAcquireAsync(name));

        await held.DisposeAsync();
        await using KvDistributedLockHandle? next = await second.TryAcquireAsync(name);

        Assert.NotNull(next);
        Assert.True(await Store(0, Clock).ExistsAsync(name));
    }

    [Fact]
    public async Task Release_after_the_lease_was_taken_over_leaves_the_new_holder_alone()
    {
        string name = NewLockName();
        var noRenewal = new KvDistributedLockOptions { Lease = ShortLease, RenewalInterval = Timeout.InfiniteTimeSpan };
        KvDistributedLockHandle stale = (await Provider(0, options: noRenewal).TryAcquireAsync(name))!;

        await PassTimeAsync(ShortLease + ShortLease);
        KvDistributedLockHandle? current = await Provider(1).TryAcquireAsync(name);
        Assert.NotNull(current);

        await stale.DisposeAsync(); // Its compare-and-delete must miss: the entry is the new holder's.

        KvEntry<string>? entry = await Store(2, Clock).GetEntryAsync<string>(name);
        Assert.NotNull(entry);
        Assert.Equal(current.FencingToken, entry.Version);
        Assert.Null(await Provider(2).TryAcquireAsync(name));
        Assert.False(current.IsLost);

        await current.DisposeAsync();
        await using KvDistributedLockHandle? after = await Provider(2).TryAcquireAsync(name);
        Assert.NotNull(after);
    }

    [Fact]
    public async Task Renewal_keeps_the_lock_past_its_initial_lease()
    {
        string name = NewLockName();
        await using KvDistributedLockHandle handle = (await Provider(0).TryAcquireAsync(name))!;

        await PassTimeAsync(ShortLease * 3, renewing: handle);

        Assert.False(handle.IsLost);
        Assert.True(handle.Renewals >= 2, $"{handle.Renewals} renewals");
        Assert.Null(await Provider(1).TryAcquireAsync(name));
        KvEntry<string>? entry = await Store(1, Clock).GetEntryAsync<string>(name);
        Assert.NotNull(entry);
        Assert.True(entry.Version > handle.FencingToken, "each renewal writes a new version");
    }

    [Fact]
    public async Task HandleLostToken_fires_when_the_key_is_deleted_behind_the_handles_back()
    {
        string name = NewLockName();
        KvDistributedLockHandle handle = (await Provider(0).TryAcquireAsync(name))!;
        var fired = new TaskCompletionSource();
        using CancellationTokenRegistration registration = handle.HandleLostToken.Register(() => fired.TrySetResult());

        Assert.True(await Store(1, Clock).DeleteAsync(name));
        KvDistributedLockHandle? thief = await Provider(1).TryAcquireAsync(name);
        Assert.NotNull(thief);
        await PassTimeAsync(ShortLease / 2);

        await Eventually.TrueAsync(() => fired.Task.IsCompleted, "HandleLostToken fired");
        Assert.True(handle.IsLost);

        await handle.DisposeAsync(); // Lost: the release must not touch the thief's lock.
        Assert.Null(await Provider(2).TryAcquireAsync(name));
        Assert.False(thief.IsLost);
        await thief.DisposeAsync();
    }

    [Fact]
    public async Task Fencing_tokens_strictly_increase_with_each_acquisition()
    {
        string name = NewLockName();
        var tokens = new List<long>();
        for (int i = 0; i < 12; i++)
        {
            await using KvDistributedLockHandle handle = await Provider(i % Instances).AcquireAsync(name, timeout: TimeSpan.Zero);
            tokens.Add(handle.FencingToken);

            // Other writes in the namespace between acquisitions move versions on too; tokens still only increase.
            await Store(i % Instances, Clock).SetAsync("other", i);
        }

        Assert.All(tokens.Zip(tokens.Skip(1)), pair => Assert.True(pair.Second > pair.First, $"{pair.Second} after {pair.First}"));
    }

    [Fact]
    public async Task AcquireAsync_times_out_with_LockTimeout_while_the_lock_is_held()
    {
        string name = NewLockName();
        await using KvDistributedLockHandle held = (await Provider(0).TryAcquireAsync(name))!;

        Task<KvDistributedLockHandle> waiting = Provider(1).AcquireAsync(name, timeout: ShortLease / 4).AsTask();
        KvException error = await Assert.ThrowsAsync<KvException>(() => DriveAsync(waiting));

        Assert.Equal(KvErrorCode.LockTimeout, error.Code);
        Assert.False(held.IsLost);
    }

    [Fact]
    public async Task AcquireAsync_gets_the_lock_once_the_holder_releases_it()
    {
        string name = NewLockName();
        KvDistributedLockHandle held = (await Provider(0).TryAcquireAsync(name))!;

        Task<KvDistributedLockHandle> waiting = Provider(1).AcquireAsync(name, timeout: TimeSpan.FromMinutes(10)).AsTask();
        await held.DisposeAsync();
        await using KvDistributedLockHandle next = await DriveAsync(waiting);

        Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Invalid_names_leases_and_options_are_rejected_before_any_io()
    {
        KvDistributedLockProvider provider = Provider(0);

        Assert.Equal(KvErrorCode.InvalidKey, (await Assert.ThrowsAsync<KvException>(() => provider.TryAcquireAsync("__reserved").AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidArgument, (await Assert.ThrowsAsync<KvException>(() => provider.TryAcquireAsync("x", TimeSpan.Zero).AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidArgument, (await Assert.ThrowsAsync<KvException>(() => provider.AcquireAsync("x", timeout: TimeSpan.FromSeconds(-2)).AsTask())).Code);
        Assert.Throws<ArgumentException>(() => new KvDistributedLockProvider(
            Store(0, Clock), new KvDistributedLockOptions { Lease = TimeSpan.FromSeconds(10), RenewalInterval = TimeSpan.FromSeconds(10) }));
        Assert.Throws<ArgumentException>(() => new KvDistributedLockProvider(
            Store(0, Clock), new KvDistributedLockOptions { MinPollInterval = TimeSpan.Zero }));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (current < value)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
