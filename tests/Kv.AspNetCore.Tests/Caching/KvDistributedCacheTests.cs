using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// <see cref="KvDistributedCache"/> on every backend. Times are in minutes on a clock the backend moves
/// (<see cref="AdvanceAsync"/>), so nothing here waits in real time.
/// </summary>
public abstract class KvDistributedCacheTests : IAsyncLifetime
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private KvDistributedCache? _cache;

    protected KvDistributedCache Cache => _cache ??= new KvDistributedCache(Adaptor, Options.Create(new KvDistributedCacheOptions { Namespace = "cache" }), Clock);

    protected abstract KvAdaptor Adaptor { get; }

    protected abstract TimeProvider Clock { get; }

    /// <summary>Moves the cache's clock, and every TTL the test's keys hold, forward by <paramref name="by"/>.</summary>
    protected abstract Task AdvanceAsync(TimeSpan by, params string[] keys);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Set_then_get_returns_the_same_bytes_and_missing_keys_are_null()
    {
        byte[] value = [0, 1, 2, 255, 254, 0x7B];
        await Cache.SetAsync("k", value, new DistributedCacheEntryOptions());

        Assert.Equal(value, await Cache.GetAsync("k"));
        Assert.Null(await Cache.GetAsync("missing"));
    }

    [Fact]
    public async Task Any_string_is_a_key_and_keys_never_collide()
    {
        // Kv's key rules reject these as they are: they are stored under a hash, each apart from every other key.
        string[] keys = ["", "__reserved", "#hash-like", new string('k', 1024), new string('k', 1025), "tab\tkey", "plain"];
        for (int i = 0; i < keys.Length; i++)
        {
            await Cache.SetAsync(keys[i], [(byte)i], new DistributedCacheEntryOptions());
        }

        for (int i = 0; i < keys.Length; i++)
        {
            Assert.Equal(new[] { (byte)i }, await Cache.GetAsync(keys[i]));
        }

        await Cache.RemoveAsync(keys[3]);
        Assert.Null(await Cache.GetAsync(keys[3]));
        Assert.Equal(new byte[] { 4 }, await Cache.GetAsync(keys[4]));
    }

    [Fact]
    public async Task Without_expiration_an_entry_is_permanent()
    {
        await Cache.SetAsync("forever", Bytes("v"), new DistributedCacheEntryOptions());
        await AdvanceAsync(TimeSpan.FromDays(30), "forever");

        Assert.Equal(Bytes("v"), await Cache.GetAsync("forever"));
        Assert.Equal(KvTtlState.Permanent, (await Adaptor.Namespace("cache").GetTimeToLiveAsync("forever")).State);
    }

    [Fact]
    public async Task Absolute_expiration_relative_to_now_ends_the_entry_and_reads_do_not_extend_it()
    {
        await Cache.SetAsync("abs", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = 3 * Minute });

        await AdvanceAsync(2 * Minute, "abs");
        Assert.NotNull(await Cache.GetAsync("abs"));
        await Cache.RefreshAsync("abs");

        await AdvanceAsync(2 * Minute, "abs");
        Assert.Null(await Cache.GetAsync("abs"));
    }

    [Fact]
    public async Task Absolute_expiration_at_an_instant_ends_the_entry_then()
    {
        await Cache.SetAsync("at", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpiration = Clock.GetUtcNow() + (5 * Minute) });

        await AdvanceAsync(4 * Minute, "at");
        Assert.NotNull(await Cache.GetAsync("at"));

        await AdvanceAsync(2 * Minute, "at");
        Assert.Null(await Cache.GetAsync("at"));
    }

    [Fact]
    public async Task An_absolute_expiration_in_the_past_is_rejected_and_stores_nothing()
    {
        ArgumentOutOfRangeException error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Cache.SetAsync(
            "past", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpiration = Clock.GetUtcNow() - Minute }));
        Assert.Equal(nameof(DistributedCacheEntryOptions.AbsoluteExpiration), error.ParamName);

        // The instant itself is already the past.
        error = Assert.Throws<ArgumentOutOfRangeException>(() => Cache.Set(
            "past", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpiration = Clock.GetUtcNow() }));
        Assert.Equal(nameof(DistributedCacheEntryOptions.AbsoluteExpiration), error.ParamName);

        Assert.Null(await Cache.GetAsync("past"));
    }

    [Fact]
    public async Task Sliding_expiration_is_extended_by_each_read()
    {
        await Cache.SetAsync("slide", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = 3 * Minute });

        for (int i = 0; i < 4; i++)
        {
            await AdvanceAsync(2 * Minute, "slide");
            Assert.NotNull(await Cache.GetAsync("slide")); // 8 minutes in all: alive because each read slid it.
        }

        await AdvanceAsync(4 * Minute, "slide");
        Assert.Null(await Cache.GetAsync("slide"));
    }

    [Fact]
    public async Task Refresh_extends_a_sliding_entry_without_reading_it()
    {
        await Cache.SetAsync("refresh", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = 3 * Minute });

        await AdvanceAsync(2 * Minute, "refresh");
        await Cache.RefreshAsync("refresh");
        await AdvanceAsync(2 * Minute, "refresh");
        await Cache.RefreshAsync("refresh");
        await AdvanceAsync(2 * Minute, "refresh");

        Assert.NotNull(await Cache.GetAsync("refresh"));
        await AdvanceAsync(4 * Minute, "refresh");
        Assert.Null(await Cache.GetAsync("refresh"));
    }

    [Fact]
    public async Task Sliding_never_extends_past_the_absolute_expiration()
    {
        await Cache.SetAsync("both", Bytes("v"), new DistributedCacheEntryOptions
        {
            SlidingExpiration = 3 * Minute,
            AbsoluteExpirationRelativeToNow = 5 * Minute,
        });

        await AdvanceAsync(2 * Minute, "both");
        Assert.NotNull(await Cache.GetAsync("both"));
        await AdvanceAsync(2 * Minute, "both");
        Assert.NotNull(await Cache.GetAsync("both")); // Slid to 7 minutes, but capped at 5.

        KvTimeToLive ttl = await Adaptor.Namespace("cache").GetTimeToLiveAsync("both");
        Assert.True(ttl.Remaining <= Minute + TimeSpan.FromSeconds(1), $"remaining {ttl.Remaining}");
        await AdvanceAsync(2 * Minute, "both");
        Assert.Null(await Cache.GetAsync("both"));
    }

    [Fact]
    public async Task Remove_deletes_and_a_missing_key_is_no_error()
    {
        await Cache.SetAsync("gone", Bytes("v"), new DistributedCacheEntryOptions());

        await Cache.RemoveAsync("gone");
        await Cache.RemoveAsync("gone");
        await Cache.RefreshAsync("gone");

        Assert.Null(await Cache.GetAsync("gone"));
    }

    [Fact]
    public async Task Set_replaces_the_value_and_its_expiration()
    {
        await Cache.SetAsync("replace", Bytes("old"), new DistributedCacheEntryOptions { SlidingExpiration = Minute });
        await Cache.SetAsync("replace", Bytes("new"), new DistributedCacheEntryOptions());

        await AdvanceAsync(10 * Minute, "replace");

        Assert.Equal(Bytes("new"), await Cache.GetAsync("replace"));
    }

    [Fact]
    public async Task Null_arguments_throw()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.GetAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", null!, new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Cache.SetAsync("k", [1], null!));
    }

    [Fact]
    public void Invalid_namespace_option_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new KvDistributedCache(Adaptor, Options.Create(new KvDistributedCacheOptions { Namespace = "a:b" })));
        Assert.Throws<ArgumentException>(() => new KvDistributedCache(Adaptor, Options.Create(new KvDistributedCacheOptions { Namespace = " " })));
    }

    [Fact]
    public async Task An_entry_read_at_its_exact_expiry_instant_is_expired()
    {
        await Cache.SetAsync("edge", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = 5 * Minute });

        await AdvanceAsync(4 * Minute, "edge");
        Assert.NotNull(Cache.Get("edge"));

        await AdvanceAsync(Minute, "edge");
        Assert.Null(Cache.Get("edge"));
        Assert.Null(await Cache.GetAsync("edge"));
    }

    [Fact]
    public async Task Sub_second_expirations_keep_their_milliseconds()
    {
        // RedisCache would store 60 s. (On Redis the TTL also runs in real time: 900 ms of slack.)
        await Cache.SetAsync("ms", Bytes("v"), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(60_900) });

        KvTimeToLive ttl = await Adaptor.Namespace("cache").GetTimeToLiveAsync("ms");
        Assert.InRange(ttl.Remaining!.Value, TimeSpan.FromMilliseconds(60_001), TimeSpan.FromMilliseconds(60_900));
    }

    [Fact]
    public async Task Synchronous_methods_read_write_slide_and_remove_like_the_asynchronous_ones()
    {
        Cache.Set("sync", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = 3 * Minute });
        Assert.Equal("v", Encoding.UTF8.GetString((await Cache.GetAsync("sync"))!));

        await AdvanceAsync(2 * Minute, "sync");
        Assert.Equal("v", Encoding.UTF8.GetString(Cache.Get("sync")!));
        await AdvanceAsync(2 * Minute, "sync");
        Cache.Refresh("sync");
        await AdvanceAsync(2 * Minute, "sync");
        Assert.NotNull(Cache.Get("sync"));
        await AdvanceAsync(4 * Minute, "sync");
        Assert.Null(Cache.Get("sync"));

        await Cache.SetAsync("async", Bytes("a"), new DistributedCacheEntryOptions());
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(Cache.TryGet("async", buffer));
        Assert.Equal("a", Encoding.UTF8.GetString(buffer.WrittenSpan));
        Cache.Set("seq", new System.Buffers.ReadOnlySequence<byte>(Bytes("s")), new DistributedCacheEntryOptions());
        Assert.Equal("s", Encoding.UTF8.GetString((await Cache.GetAsync("seq"))!));

        Cache.Remove("async");
        Assert.Null(await Cache.GetAsync("async"));
        Cache.Remove("never-there");
    }
}
