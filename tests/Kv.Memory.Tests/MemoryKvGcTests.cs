using Kv.Internal;
using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Kv.Memory.Tests;

public sealed class MemoryKvGcTests
{
    private static readonly KvSetOptions Short = KvSetOptions.WithTtl(TimeSpan.FromSeconds(10));
    private static readonly KvSetOptions Long = KvSetOptions.WithTtl(TimeSpan.FromHours(1));

    private readonly FakeTimeProvider _clock = new();
    private readonly MemoryKv _kv;
    private readonly IAtomicKvStore _store;

    public MemoryKvGcTests()
    {
        _kv = new MemoryKv(new MemoryKvOptions(), _clock);
        _store = _kv.Namespace("gc");
    }

    [Fact]
    public async Task Expired_entries_stay_counted_until_collected_then_only_they_are_removed()
    {
        await _store.SetAsync("permanent", 1);
        await _store.SetAsync("long", 2, Long);
        await _store.SetAsync("short-1", 3, Short);
        await _store.SetAsync("short-2", 4, Short);

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(4, _kv.EntryCount);
        Assert.False(await _store.ExistsAsync("short-1"));

        Assert.Equal(2, _kv.CollectExpired());
        Assert.Equal(2, _kv.EntryCount);
        Assert.True(await _store.ExistsAsync("permanent"));
        Assert.True(await _store.ExistsAsync("long"));
        Assert.Equal(0, _kv.CollectExpired());
    }

    [Fact]
    public async Task Collect_before_expiry_removes_nothing()
    {
        await _store.SetAsync("k", 1, Short);

        _clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));

        Assert.Equal(0, _kv.CollectExpired());
        Assert.Equal(1, _kv.EntryCount);
    }

    [Fact]
    public async Task Entry_made_permanent_or_extended_after_its_ttl_was_set_is_not_collected()
    {
        await _store.SetAsync("made-permanent", 1, Short);
        await _store.SetAsync("extended", 2, Short);
        await _store.SetAsync("made-permanent", 1);
        Assert.True(await _store.ExpireAsync("extended", TimeSpan.FromMinutes(1)));

        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(0, _kv.CollectExpired());
        Assert.True(await _store.ExistsAsync("made-permanent"));
        Assert.True(await _store.ExistsAsync("extended"));

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, _kv.CollectExpired());
        Assert.False(await _store.ExistsAsync("extended"));
        Assert.Equal(1, _kv.EntryCount);
    }

    [Fact]
    public async Task Shortened_ttl_is_collected_at_the_shorter_deadline()
    {
        await _store.SetAsync("k", 1, Long);
        await _store.SetAsync("k", 1, Short);

        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(1, _kv.CollectExpired());
        Assert.Equal(0, _kv.EntryCount);
    }

    [Fact]
    public async Task Counter_incremented_after_creation_is_still_collected_at_its_window_end()
    {
        await _store.IncrementAsync("window", 1, Short);
        await _store.IncrementAsync("window", 1, Short);

        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(1, _kv.CollectExpired());
        Assert.Equal(0, _kv.EntryCount);
    }

    [Fact]
    public async Task Gc_pass_visits_only_what_is_due_not_every_entry()
    {
        const int permanent = 100_000;
        const int living = 20_000;
        const int expiring = 1_000;
        for (int i = 0; i < permanent; i++)
        {
            await _store.SetAsync("p" + i, i);
        }

        for (int i = 0; i < living; i++)
        {
            await _store.SetAsync("l" + i, i, Long);
        }

        for (int i = 0; i < expiring; i++)
        {
            await _store.SetAsync("e" + i, i, Short);
        }

        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(expiring, _kv.CollectExpired());
        Assert.Equal(expiring, _kv.Engine.LastPassVisited);
        Assert.Equal(permanent + living, _kv.EntryCount);
    }

    [Fact]
    public async Task Sliding_ttl_touched_many_times_costs_one_index_item()
    {
        await _store.SetAsync("session", "s", Short);
        for (int i = 0; i < 1000; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Assert.True(await _store.ExpireAsync("session", TimeSpan.FromSeconds(10)));
            await _store.SetAsync("session", "s", Short);
        }

        Assert.Equal(1, _kv.Engine.Expiry.Count);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, _kv.CollectExpired());
        Assert.Equal(0, _kv.Engine.Expiry.Count);
    }

    [Fact]
    public async Task Collect_runs_in_slices_and_removes_everything_due()
    {
        int count = (MemoryEngine.GcSliceSize * 3) + 7;
        for (int i = 0; i < count; i++)
        {
            await _store.SetAsync("k" + i, i, Short);
        }

        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(count, _kv.CollectExpired());
        Assert.Equal(0, _kv.EntryCount);
        Assert.Equal(0, _kv.ByteCount);
    }

    [Fact]
    public async Task Concurrent_writes_during_collection_keep_counts_exact()
    {
        for (int i = 0; i < 5_000; i++)
        {
            await _store.SetAsync("k" + i, i, Short);
        }

        _clock.Advance(TimeSpan.FromSeconds(10));
        Task collector = Task.Run(() => _kv.CollectExpired());
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; i < 5_000; i += 2)
            {
                await _store.SetAsync("k" + i, -i);
            }
        });
        await Task.WhenAll(collector, writer);
        _kv.CollectExpired();

        Assert.Equal(2_500, _kv.EntryCount);
        for (int i = 0; i < 5_000; i += 2)
        {
            Assert.Equal(-i, await _store.GetAsync<int>("k" + i));
        }
    }
}
