using System.Text.Json;
using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    private sealed record PostMetadata(string Author, int Revision);

    [Fact]
    public async Task Metadata_is_stored_with_the_value_and_read_back_with_it()
    {
        await Root.SetAsync("post:1", "body", new KvSetOptions { Metadata = new PostMetadata("alice", 3) });

        KvEntry<string>? entry = await Root.GetEntryAsync<string>("post:1");

        Assert.Equal("body", entry!.Value);
        Assert.Equal(new PostMetadata("alice", 3), entry.Metadata!.Value.Deserialize<PostMetadata>());
    }

    [Fact]
    public async Task A_write_without_metadata_clears_the_earlier_metadata()
    {
        await Root.SetAsync("k", 1, new KvSetOptions { Metadata = new { a = 1 } });

        await Root.SetAsync("k", 2);

        Assert.Null((await Root.GetEntryAsync<int>("k"))!.Metadata);
    }

    [Fact]
    public async Task A_stored_null_with_metadata_is_an_entry()
    {
        await Root.SetAsync<string?>("k", null, new KvSetOptions { Metadata = "note" });

        KvEntry<string>? entry = await Root.GetEntryAsync<string>("k");

        Assert.NotNull(entry);
        Assert.Null(entry.Value);
        Assert.Equal("note", entry.Metadata!.Value.GetString());
        Assert.Null(await Root.GetEntryAsync<string>("missing"));
    }

    [Fact]
    public async Task Metadata_over_1_KiB_or_unserializable_is_InvalidValue_and_changes_nothing()
    {
        await Root.SetAsync("k", "before");
        var cyclic = new Node();
        cyclic.Next = cyclic;

        // A JSON string of 1022 characters is 1024 bytes with its quotes: the largest accepted.
        await Root.SetAsync("max", 1, new KvSetOptions { Metadata = new string('m', 1022) });
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("k", "after", new KvSetOptions { Metadata = new string('m', 1023) }).AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("k", "after", new KvSetOptions { Metadata = cyclic }).AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => Root.IncrementAsync("n", 1, new KvSetOptions { Metadata = cyclic }).AsTask())).Code);

        Assert.Equal("before", await Root.GetAsync<string>("k"));
        Assert.False(await Root.ExistsAsync("n"));
    }

    [Fact]
    public async Task Increment_keeps_the_metadata_of_an_existing_counter_and_sets_it_on_a_new_one()
    {
        await Root.IncrementAsync("n", 1, new KvSetOptions { Metadata = "created" });
        await Root.IncrementAsync("n", 1, new KvSetOptions { Metadata = "ignored" });

        KvEntry<long>? entry = await Root.GetEntryAsync<long>("n");

        Assert.Equal(2, entry!.Value);
        Assert.Equal("created", entry.Metadata!.Value.GetString());
    }

    [Fact]
    public async Task SetIfNotExists_stores_metadata()
    {
        Assert.True(await Root.SetIfNotExistsAsync("k", 1, new KvSetOptions { Metadata = new { owner = "a" } }));
        Assert.False(await Root.SetIfNotExistsAsync("k", 2, new KvSetOptions { Metadata = new { owner = "b" } }));

        Assert.Equal("a", (await Root.GetEntryAsync<int>("k"))!.Metadata!.Value.GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Every_write_of_a_value_gets_a_greater_version_and_ttl_changes_keep_it()
    {
        await Root.SetAsync("a", 1);
        long v1 = (await Root.GetEntryAsync<int>("a"))!.Version;
        await Root.SetAsync("b", 1);
        long v2 = (await Root.GetEntryAsync<int>("b"))!.Version;
        await Root.Namespace("child").IncrementAsync("a");
        long v3 = (await Root.Namespace("child").GetEntryAsync<int>("a"))!.Version;
        await Root.SetAsync("a", 2, new KvSetOptions { Metadata = "m" });
        long v4 = (await Root.GetEntryAsync<int>("a"))!.Version;

        Assert.True(v1 > 0);
        Assert.True(v2 > v1 && v3 > v2 && v4 > v3);

        await Root.ExpireAsync("a", Ttl);
        await Root.PersistAsync("a");
        Assert.Equal(v4, (await Root.GetEntryAsync<int>("a"))!.Version);

        await Root.IncrementAsync("a");
        Assert.True((await Root.GetEntryAsync<int>("a"))!.Version > v4);
    }

    [Fact]
    public async Task Metadata_keeps_its_json_shape()
    {
        var metadata = JsonSerializer.SerializeToElement(new { n = 1.5, flag = true, list = new[] { "x", "y" }, nothing = (string?)null });

        await Root.SetAsync("k", 0, new KvSetOptions { Metadata = metadata });

        JsonElement stored = (await Root.GetEntryAsync<int>("k"))!.Metadata!.Value;
        Assert.Equal(metadata.GetRawText(), stored.GetRawText());
    }
}
