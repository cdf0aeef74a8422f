using Xunit;

namespace Kv.Conformance;

// The synchronous point operations (IKvStore.Synchronous): the same data, validation and expiry as the asynchronous ones.
public abstract partial class KvConformanceTests
{
    [Fact]
    public async Task Synchronous_operations_see_and_change_the_same_data_as_the_asynchronous_ones()
    {
        IKvSynchronousStore sync = Root.Synchronous;

        sync.Set("s", "written-sync", new KvSetOptions { Metadata = System.Text.Json.JsonSerializer.SerializeToElement(new { tag = "m" }) });
        Assert.Equal("written-sync", await Root.GetAsync<string>("s"));

        await Root.SetAsync("a", new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, sync.Get<byte[]>("a"));

        KvEntry<string>? entry = sync.GetEntry<string>("s");
        Assert.NotNull(entry);
        Assert.Equal("written-sync", entry.Value);
        Assert.Null(entry.ExpiresAt);
        Assert.Equal("m", entry.Metadata!.Value.GetProperty("tag").GetString());
        Assert.Equal((await Root.GetEntryAsync<string>("s"))!.Version, entry.Version);

        Assert.Null(sync.Get<string>("missing"));
        Assert.Null(sync.GetEntry<string>("missing"));

        Assert.True(sync.Delete("s"));
        Assert.False(sync.Delete("s"));
        Assert.False(await Root.ExistsAsync("s"));
        Assert.False(sync.Expire("s", Ttl));
    }

    [Fact]
    public async Task Synchronous_ttls_expire_like_asynchronous_ones()
    {
        IKvSynchronousStore sync = Root.Synchronous;
        sync.Set("t", "v", new KvSetOptions { Ttl = Ttl });
        await Root.SetAsync("e", "v");
        Assert.True(sync.Expire("e", Ttl));

        KvEntry<string>? entry = sync.GetEntry<string>("t");
        Assert.NotNull(entry?.ExpiresAt);

        await AdvanceToJustBefore(Ttl);
        Assert.Equal("v", sync.Get<string>("t"));
        Assert.Equal("v", sync.Get<string>("e"));

        await AdvanceOverTheEdge();
        Assert.Null(sync.Get<string>("t"));
        Assert.Null(sync.GetEntry<string>("e"));
        Assert.False(await Root.ExistsAsync("t"));
    }

    [Fact]
    public async Task Synchronous_operations_validate_like_the_asynchronous_ones_and_change_nothing()
    {
        IKvSynchronousStore sync = Root.Synchronous;
        await Root.SetAsync("k", "before");

        Assert.Equal(KvErrorCode.InvalidKey, Assert.Throws<KvException>(() => sync.Get<string>("__reserved")).Code);
        Assert.Equal(KvErrorCode.InvalidKey, Assert.Throws<KvException>(() => sync.Set("", "v")).Code);
        Assert.Equal(KvErrorCode.InvalidKey, Assert.Throws<KvException>(() => sync.Delete(new string('k', KvKeyRules.MaxKeyLength + 1))).Code);
        Assert.Equal(KvErrorCode.InvalidTtl, Assert.Throws<KvException>(() => sync.Set("k", "after", new KvSetOptions { Ttl = TimeSpan.Zero })).Code);
        Assert.Equal(KvErrorCode.InvalidTtl, Assert.Throws<KvException>(() => sync.Expire("k", TimeSpan.FromSeconds(-1))).Code);

        KvEntry<string>? entry = await Root.GetEntryAsync<string>("k");
        Assert.Equal("before", entry?.Value);
        Assert.Null(entry?.ExpiresAt);
    }
}
