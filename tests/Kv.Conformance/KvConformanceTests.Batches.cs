using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    [Fact]
    public async Task GetMany_returns_the_keys_that_exist_with_their_values()
    {
        await Root.SetAsync("a", "one");
        await Root.SetAsync("b", (string?)null);
        await Root.SetAsync("gone", "x", KvSetOptions.WithTtl(Ttl));
        await Backend.AdvanceTimeAsync(Ttl + Backend.ExpiryPrecision * 2 + TimeSpan.FromMilliseconds(1));

        IReadOnlyDictionary<string, string?> values = await Root.GetManyAsync<string>(["a", "b", "missing", "gone", "a"]);

        Assert.Equal(2, values.Count);
        Assert.Equal("one", values["a"]);
        Assert.True(values.ContainsKey("b"));
        Assert.Null(values["b"]);
    }

    [Fact]
    public async Task GetMany_of_no_keys_is_empty_and_an_invalid_key_throws_before_reading()
    {
        Assert.Empty(await Root.GetManyAsync<string>([]));
        Assert.Equal(KvErrorCode.InvalidKey, (await Assert.ThrowsAsync<KvException>(() => Root.GetManyAsync<string>(["ok", "__bad"]).AsTask())).Code);
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.GetManyAsync<string>(null!).AsTask());
    }

    [Fact]
    public async Task GetMany_sees_only_its_own_namespace()
    {
        await Root.SetAsync("k", "root");
        await Root.Namespace("child").SetAsync("k", "child");

        Assert.Equal("child", (await Root.Namespace("child").GetManyAsync<string>(["k"]))["k"]);
        Assert.Empty(await Root.Namespace("other").GetManyAsync<string>(["k"]));
    }

    [Fact]
    public async Task GetRequiredMany_throws_KeyNotFound_naming_the_missing_keys()
    {
        await Root.SetAsync("exists", 1);

        KvException error = await Assert.ThrowsAsync<KvException>(() => Root.GetRequiredManyAsync<int>(["exists", "missing", "also missing"]).AsTask());

        Assert.Equal(KvErrorCode.KeyNotFound, error.Code);
        Assert.Equal(["missing", "also missing"], error.Keys);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await Root.GetRequiredManyAsync<int>(["exists"]))["exists"]);
    }

    [Fact]
    public async Task SetMany_stores_every_value_with_one_ttl_and_metadata()
    {
        await Root.SetAsync("b", "old", KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));

        await Root.SetManyAsync(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, new KvSetOptions { Ttl = Ttl, Metadata = new { tag = "batch" } });

        Assert.Equal("1", await Root.GetAsync<string>("a"));
        KvEntry<string>? b = await Root.GetEntryAsync<string>("b");
        Assert.Equal("2", b!.Value);
        Assert.Equal("batch", b.Metadata!.Value.GetProperty("tag").GetString());
        Assert.Equal(KvTtlState.Expiring, (await Root.GetTimeToLiveAsync("a")).State);
        Assert.True((await Root.GetTimeToLiveAsync("b")).Remaining > TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task SetMany_without_options_stores_permanent_entries_and_clears_earlier_ttls()
    {
        await Root.SetAsync("a", "old", KvSetOptions.WithTtl(Ttl));

        await Root.SetManyAsync([new KeyValuePair<string, int>("a", 1), new KeyValuePair<string, int>("b", 2)]);

        Assert.Equal(KvTimeToLive.Permanent, await Root.GetTimeToLiveAsync("a"));
        Assert.Equal(KvTimeToLive.Permanent, await Root.GetTimeToLiveAsync("b"));
    }

    [Fact]
    public async Task SetMany_keeps_the_last_value_of_a_key_given_twice()
    {
        await Root.SetManyAsync([new KeyValuePair<string, int>("a", 1), new KeyValuePair<string, int>("a", 2)]);

        Assert.Equal(2, await Root.GetAsync<int>("a"));
    }

    [Fact]
    public async Task SetMany_with_a_bad_key_value_ttl_or_metadata_stores_nothing()
    {
        await Root.SetAsync("a", "before");
        var cyclic = new Node();
        cyclic.Next = cyclic;

        KvErrorCode[] codes =
        [
            (await Assert.ThrowsAsync<KvException>(() => Root.SetManyAsync(new Dictionary<string, string> { ["a"] = "x", ["__bad"] = "y" }).AsTask())).Code,
            (await Assert.ThrowsAsync<KvException>(() => Root.SetManyAsync(new Dictionary<string, object> { ["a"] = "x", ["b"] = cyclic }).AsTask())).Code,
            (await Assert.ThrowsAsync<KvException>(() => Root.SetManyAsync(new Dictionary<string, string> { ["a"] = "x" }, KvSetOptions.WithTtl(TimeSpan.Zero)).AsTask())).Code,
            (await Assert.ThrowsAsync<KvException>(() => Root.SetManyAsync(new Dictionary<string, string> { ["a"] = "x" }, new KvSetOptions { Metadata = new string('m', 2000) }).AsTask())).Code,
        ];

        Assert.Equal([KvErrorCode.InvalidKey, KvErrorCode.InvalidValue, KvErrorCode.InvalidTtl, KvErrorCode.InvalidValue], codes);
        Assert.Equal("before", await Root.GetAsync<string>("a"));
        Assert.False(await Root.ExistsAsync("b"));
    }

    [Fact]
    public async Task DeleteMany_returns_how_many_live_keys_existed()
    {
        await Root.SetManyAsync(new Dictionary<string, int> { ["a"] = 1, ["b"] = 2, ["c"] = 3 });
        await Root.SetAsync("expiring", 4, KvSetOptions.WithTtl(Ttl));
        await Root.Namespace("child").SetAsync("a", 5);
        await Backend.AdvanceTimeAsync(Ttl + Backend.ExpiryPrecision * 2 + TimeSpan.FromMilliseconds(1));

        Assert.Equal(2, await Root.DeleteManyAsync(["a", "b", "a", "missing", "expiring"]));

        Assert.False(await Root.ExistsAsync("a"));
        Assert.True(await Root.ExistsAsync("c"));
        Assert.True(await Root.Namespace("child").ExistsAsync("a"));
        Assert.Equal(0, await Root.DeleteManyAsync([]));
    }
}
