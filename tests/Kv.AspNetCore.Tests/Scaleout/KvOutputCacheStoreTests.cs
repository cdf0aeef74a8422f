using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Scaleout;

/// <summary>The output cache store through its own API, on MemoryKv.</summary>
public sealed class KvOutputCacheStoreTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly MemoryKv _kv = new(new MemoryKvOptions());

    private KvOutputCacheStore NewStore() => new(_kv, Options.Create(new KvOutputCacheOptions { Namespace = "oc" }));

    [Fact]
    public async Task Set_then_get_returns_the_bytes_and_the_entry_has_the_ttl()
    {
        KvOutputCacheStore store = NewStore();
        await store.SetAsync("a", [1, 2, 3], ["t"], Minute, default);

        Assert.Equal([1, 2, 3], await store.GetAsync("a", default));
        KvTimeToLive ttl = await _kv.Namespace("oc").GetTimeToLiveAsync("e-a");
        Assert.Equal(KvTtlState.Expiring, ttl.State);
        Assert.True(ttl.Remaining <= Minute);
    }

    [Fact]
    public async Task Eviction_on_one_store_evicts_only_entries_with_the_tag_on_another()
    {
        KvOutputCacheStore one = NewStore();
        KvOutputCacheStore two = NewStore();
        await one.SetAsync("tagged", [1], ["x", "y"], Minute, default);
        await one.SetAsync("other", [2], ["z"], Minute, default);
        await one.SetAsync("untagged", [3], null, Minute, default);

        await two.EvictByTagAsync("y", default);

        Assert.Null(await one.GetAsync("tagged", default));
        Assert.Null(await two.GetAsync("tagged", default));
        Assert.Equal([2], await two.GetAsync("other", default));
        Assert.Equal([3], await two.GetAsync("untagged", default));
    }

    [Fact]
    public async Task An_entry_written_after_an_eviction_is_served_and_a_second_eviction_evicts_it()
    {
        KvOutputCacheStore store = NewStore();
        await store.EvictByTagAsync("t", default);
        await store.SetAsync("a", [1], ["t"], Minute, default);
        Assert.Equal([1], await store.GetAsync("a", default));

        await store.EvictByTagAsync("t", default);
        Assert.Null(await store.GetAsync("a", default));
    }

    [Fact]
    public async Task An_eviction_between_reading_the_tags_and_writing_the_entry_wins()
    {
        // The entry carries the token the tag had before the write: simulate a write that read the tag, then an
        // eviction on another instance, then the write landing, by writing an entry whose token is the old one.
        KvOutputCacheStore store = NewStore();
        await store.SetAsync("a", [1], ["t"], Minute, default);
        IKvStore ns = _kv.Namespace("oc");
        KvEntry<byte[]>? stale = await ns.GetEntryAsync<byte[]>("e-a");
        await store.EvictByTagAsync("t", default);
        await ns.SetAsync("e-a", stale!.Value, new KvSetOptions { Ttl = Minute, Metadata = stale.Metadata });

        Assert.Null(await store.GetAsync("a", default));
    }

    [Fact]
    public async Task Many_long_tags_keep_the_metadata_small_and_each_tag_still_evicts()
    {
        KvOutputCacheStore store = NewStore();
        string[] tags = [.. Enumerable.Range(0, 200).Select(i => i + new string('t', 250))];
        await store.EvictByTagAsync(tags[7], default);
        await store.SetAsync("a", [1, 2], tags, Minute, default);

        KvEntry<byte[]>? entry = await _kv.Namespace("oc").GetEntryAsync<byte[]>("e-a");
        Assert.InRange(entry!.Metadata!.Value.GetRawText().Length, 1, 100);
        Assert.Equal([1, 2], await store.GetAsync("a", default));

        await store.EvictByTagAsync(tags[199], default);
        Assert.Null(await store.GetAsync("a", default));
        Assert.False(await _kv.Namespace("oc").ExistsAsync("e-a"));
    }

    [Fact]
    public async Task An_entry_with_a_broken_tag_header_is_not_served()
    {
        KvOutputCacheStore store = NewStore();
        await store.SetAsync("a", [1, 2, 3], ["t"], Minute, default);
        IKvStore ns = _kv.Namespace("oc");
        KvEntry<byte[]>? entry = await ns.GetEntryAsync<byte[]>("e-a");
        await ns.SetAsync("e-a", entry!.Value![2..], new KvSetOptions { Ttl = Minute, Metadata = entry.Metadata });

        Assert.Null(await store.GetAsync("a", default));
    }

    [Fact]
    public async Task Invalid_arguments_are_refused()
    {
        KvOutputCacheStore store = NewStore();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.SetAsync("a", [1], null, TimeSpan.Zero, default).AsTask());
        Assert.Throws<ArgumentException>(() => new KvOutputCacheStore(_kv, Options.Create(new KvOutputCacheOptions { Namespace = "" })));
    }
}
