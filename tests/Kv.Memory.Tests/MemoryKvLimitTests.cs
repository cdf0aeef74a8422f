using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Kv.Memory.Tests;

public sealed class MemoryKvLimitTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task Write_past_max_entries_throws_CapacityExceeded_and_evicts_nothing()
    {
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 3 }, _clock);
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("a", 1);
        await store.SetAsync("b", 2);
        await store.IncrementAsync("c");

        Func<Task>[] writes =
        [
            () => store.SetAsync("d", 4).AsTask(),
            () => store.SetIfNotExistsAsync("d", 4).AsTask(),
            () => store.IncrementAsync("d").AsTask(),
            () => kv.Namespace("other").SetAsync("a", 1).AsTask(),
        ];
        foreach (Func<Task> write in writes)
        {
            Assert.Equal(KvErrorCode.CapacityExceeded, (await Assert.ThrowsAsync<KvException>(write)).Code);
        }

        Assert.Equal(3, kv.EntryCount);
        Assert.False(await store.ExistsAsync("d"));
        Assert.Equal(1, await store.GetAsync<int>("a"));
        Assert.Equal(2, await store.GetAsync<int>("b"));
        Assert.Equal(1, await store.GetAsync<int>("c"));
    }

    [Fact]
    public async Task At_max_entries_existing_keys_can_still_be_overwritten_and_deleted()
    {
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 1 }, _clock);
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("a", 1);

        await store.SetAsync("a", 2);
        Assert.Equal(3, await store.IncrementAsync("a"));
        Assert.True(await store.DeleteAsync("a"));
        await store.SetAsync("b", 1);

        Assert.Equal(1, kv.EntryCount);
    }

    [Fact]
    public async Task Expired_entries_are_collected_to_make_room_before_a_write_fails()
    {
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 2 }, _clock);
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("a", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1)));
        await store.SetAsync("b", 2);
        _clock.Advance(TimeSpan.FromSeconds(1));

        await store.SetAsync("c", 3);

        Assert.Equal(2, kv.EntryCount);
        Assert.Equal(3, await store.GetAsync<int>("c"));
    }

    [Fact]
    public async Task Write_past_max_bytes_throws_CapacityExceeded_and_keeps_the_old_value()
    {
        // "k" is 1 byte and "\"small\"" is 7: 8 bytes. A 100-byte string does not fit in 50.
        var kv = new MemoryKv(new MemoryKvOptions { MaxBytes = 50 }, _clock);
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("k", "small");
        Assert.Equal(8, kv.ByteCount);

        KvException ex = await Assert.ThrowsAsync<KvException>(() => store.SetAsync("k", new string('x', 100)).AsTask());

        Assert.Equal(KvErrorCode.CapacityExceeded, ex.Code);
        Assert.Equal("small", await store.GetAsync<string>("k"));
        Assert.Equal(8, kv.ByteCount);
    }

    [Fact]
    public async Task Bytes_are_released_by_delete_and_overwrite()
    {
        var kv = new MemoryKv(new MemoryKvOptions { MaxBytes = 30 }, _clock);
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("a", new string('x', 20));

        await store.SetAsync("a", "y");
        await store.SetAsync("b", new string('x', 20));
        Assert.True(await store.DeleteAsync("b"));

        Assert.Equal(4, kv.ByteCount);
    }

    [Fact]
    public async Task Concurrent_writers_never_pass_max_entries()
    {
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 100 }, _clock);
        IAtomicKvStore store = kv.Namespace("n");
        int rejected = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (int i = 0; i < 50; i++)
            {
                try
                {
                    await store.SetAsync($"{t}-{i}", i);
                }
                catch (KvException ex) when (ex.Code == KvErrorCode.CapacityExceeded)
                {
                    Interlocked.Increment(ref rejected);
                }
            }
        })));

        Assert.Equal(100, kv.EntryCount);
        Assert.Equal(300, rejected);
    }

    [Theory]
    [InlineData(0, null, null)]
    [InlineData(-1, null, null)]
    [InlineData(60, 0L, null)]
    [InlineData(60, null, -5L)]
    [InlineData(200_000, null, null)]
    public void Invalid_options_are_rejected_by_the_constructor(int gcSeconds, long? maxEntries, long? maxBytes)
    {
        var options = new MemoryKvOptions { GcInterval = TimeSpan.FromSeconds(gcSeconds), MaxEntries = maxEntries, MaxBytes = maxBytes };

        Assert.Throws<ArgumentException>(() => new MemoryKv(options, _clock));
    }
}
