using Kv.Internal;
using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Kv.Memory.Tests;

/// <summary>Interleavings of MemoryKv's compare-and-swap writes, its limits and its GC.</summary>
public sealed class MemoryKvConcurrencyTests
{
    private static readonly KvSetOptions Window = KvSetOptions.WithTtl(TimeSpan.FromMinutes(1));

    [Fact]
    public async Task At_max_entries_a_write_that_lost_the_race_to_create_a_key_overwrites_it_instead_of_failing()
    {
        // T2 finds "w" missing and pauses (in its clock read) before adding it; T1 creates "w" meanwhile, which
        // fills the store. T2 must then increment the existing key, not fail for lack of room for a new one.
        // The pause: the clock moves a tick on every read, and FakeTimeProvider runs a timer that falls due on the
        // thread whose read moved the clock past it, so a timer due one tick after T2 arms it runs (and blocks) inside
        // T2's next read. T1's reads meanwhile run no timer: the paused one is still running.
        var clock = new FakeTimeProvider { AutoAdvanceAmount = TimeSpan.FromTicks(1) };
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 1 }, clock);
        IAtomicKvStore store = kv.Namespace("n");
        long second = 0;
        Exception? failure = null;
        using var paused = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();

        var t2 = new Thread(() =>
        {
            using ITimer pause = clock.CreateTimer(
                _ =>
                {
                    paused.Set();
                    resume.Wait(TimeSpan.FromSeconds(30));
                },
                null,
                TimeSpan.FromTicks(1),
                Timeout.InfiniteTimeSpan);
            try
            {
                second = store.IncrementAsync("w", 1, Window).AsTask().GetAwaiter().GetResult();
            }
            catch (KvException ex)
            {
                failure = ex;
            }
        });
        t2.Start();
        Assert.True(paused.Wait(TimeSpan.FromSeconds(30)), "T2 reached its clock read");

        long first = await store.IncrementAsync("w", 1, Window);
        resume.Set();
        t2.Join();

        Assert.Null(failure);
        Assert.Equal(1, first);
        Assert.Equal(2, second);
        Assert.Equal(2, await store.GetAsync<long>("w"));
        Assert.Equal(1, kv.EntryCount);
    }

    [Fact]
    public async Task At_max_entries_concurrent_writers_of_one_new_key_never_see_the_store_full()
    {
        // Every serial order makes one of them the add and the rest overwrites: none may fail, even while the
        // winner holds a reservation it has not yet used.
        int failures = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 1 });
            IAtomicKvStore store = kv.Namespace("n");
            using var start = new ManualResetEventSlim();
            Task[] writers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    await store.SetAsync("k", i);
                }
                catch (KvException ex) when (ex.Code == KvErrorCode.CapacityExceeded)
                {
                    Interlocked.Increment(ref failures);
                }
            })).ToArray();
            start.Set();
            await Task.WhenAll(writers);
            Assert.Equal(1, kv.EntryCount);
        }

        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task Deletes_and_permanent_rewrites_do_not_pile_up_in_the_expiry_index()
    {
        var clock = new FakeTimeProvider();
        var kv = new MemoryKv(new MemoryKvOptions(), clock);
        IAtomicKvStore store = kv.Namespace("locks");
        await store.SetAsync("live", 1, KvSetOptions.WithTtl(TimeSpan.FromHours(2)));

        // A lock taken and released with a one-hour lease, again and again; and a key toggled TTL/permanent.
        for (int i = 0; i < 20_000; i++)
        {
            await store.SetAsync("lock", i, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));
            Assert.True(await store.DeleteAsync("lock"));
            await store.SetAsync("toggle", i, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));
            await store.SetAsync("toggle", i);
        }

        // Compactions run on the thread pool as the index grows; nothing is due, and nothing is lost. A compaction
        // detaches the index before it files the live items back, so the count is judged once none is running.
        Assert.Equal(0, kv.CollectExpired());
        await Eventually.TrueAsync(
            () => !kv.Engine.IsCompacting && kv.Engine.Expiry.Count <= (2 * kv.EntryCount) + MemoryEngine.CompactionSlack,
            "the index is compacted back to about the entry count");
        Assert.True(kv.Engine.Expiry.Count >= 1, "the live TTL entry keeps its item");
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, kv.CollectExpired());
        Assert.Equal(1, kv.EntryCount); // "toggle", permanent
    }

    [Fact]
    public async Task Reading_a_namespace_that_was_never_written_allocates_no_table()
    {
        var kv = new MemoryKv();

        for (int i = 0; i < 1000; i++)
        {
            IAtomicKvStore store = kv.Namespace("probe" + i);
            Assert.Null(await store.GetAsync<string>("k"));
            Assert.False(await store.ExistsAsync("k"));
            Assert.False(await store.DeleteAsync("k"));
            Assert.False(await store.ExpireAsync("k", TimeSpan.FromMinutes(1)));
        }

        Assert.Equal(0, kv.Engine.TableCount);
        await kv.Namespace("written").SetAsync("k", 1);
        Assert.Equal(1, kv.Engine.TableCount);
    }

    [Fact]
    public async Task Gc_racing_with_extends_shortens_deletes_and_rewrites_leaves_nothing_behind()
    {
        var clock = new FakeTimeProvider();
        var kv = new MemoryKv(new MemoryKvOptions(), clock);
        IAtomicKvStore store = kv.Namespace("stress");
        const int keys = 500;
        for (int i = 0; i < keys; i++)
        {
            await store.SetAsync("k" + i, i, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1 + (i % 30))));
        }

        using var stop = new CancellationTokenSource();
        Task collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                kv.CollectExpired();
            }
        });
        Task[] writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (int n = 0; n < 20_000; n++)
            {
                string key = "k" + random.Next(keys);
                TimeSpan ttl = TimeSpan.FromSeconds(1 + random.Next(60));
                switch (random.Next(6))
                {
                    case 0: await store.ExpireAsync(key, ttl); break;                              // extend or shorten
                    case 1: await store.DeleteAsync(key); break;
                    case 2: await store.SetAsync(key, n, KvSetOptions.WithTtl(ttl)); break;
                    case 3: await store.IncrementAsync(key, 1, KvSetOptions.WithTtl(ttl)).AsTask().ContinueWith(_ => { }); break;
                    case 4: await store.SetIfNotExistsAsync(key, n, KvSetOptions.WithTtl(ttl)); break;
                    default: await store.SetAsync(key, "x", KvSetOptions.WithTtl(ttl)); break;
                }

                if (w == 0 && n % 1000 == 0)
                {
                    clock.Advance(TimeSpan.FromSeconds(1));
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await collector;

        // Every key written had a TTL: once every deadline has passed, one pass must leave nothing at all. (A pass
        // that overlaps a compaction sees only the items filed back so far, so wait for any compaction first.)
        clock.Advance(TimeSpan.FromMinutes(2));
        await Eventually.TrueAsync(() => !kv.Engine.IsCompacting, "compaction finishes");
        kv.CollectExpired();

        Assert.Equal(0, kv.EntryCount);
        Assert.Equal(0, kv.ByteCount);
        Assert.Equal(0, kv.Engine.Expiry.Count);
    }
}
