using System.Text.Json;
using System.Text.Json.Serialization;
using Xunit;

namespace Kv.Conformance;

public sealed class CollidingNames
{
    [JsonPropertyName("a")]
    public int First { get; set; }

    [JsonPropertyName("a")]
    public int Second { get; set; }
}

public sealed record Guarded
{
    public Guarded(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    public string Name { get; }
}

public abstract partial class KvConformanceTests
{
    [Fact]
    public async Task Type_whose_contract_the_serializer_rejects_is_InvalidValue_on_write_and_on_read()
    {
        await Root.SetAsync("k", new { a = 1 });

        KvException write = await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("other", new CollidingNames()).AsTask());
        ValueTask<CollidingNames?> read = Root.GetAsync<CollidingNames>("k");

        Assert.Equal(KvErrorCode.InvalidValue, write.Code);
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => read.AsTask())).Code);
        Assert.False(await Root.ExistsAsync("other"));
    }

    [Fact]
    public async Task Constructor_that_rejects_the_stored_json_is_InvalidValue_through_the_task()
    {
        await Root.SetAsync("k", new { other = 1 });

        ValueTask<Guarded?> read = Root.GetAsync<Guarded>("k");
        ValueTask<KvEntry<Guarded>?> entry = Root.GetEntryAsync<Guarded>("k");

        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => read.AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => entry.AsTask())).Code);
    }

    [Fact]
    public async Task Store_failures_arrive_through_the_returned_task_not_as_synchronous_throws()
    {
        await Root.SetAsync("text", "ten");
        await Root.SetAsync("max", long.MaxValue);

        // Only argument errors are thrown by the call itself; what the store finds is reported by the task, as
        // a remote backend must, so Task.WhenAll over several calls behaves the same on every backend.
        ValueTask<long> notNumeric = Root.IncrementAsync("text");
        ValueTask<long> overflow = Root.IncrementAsync("max");
        ValueTask<int> unreadable = Root.GetAsync<int>("text");
        ValueTask<KvEntry<int>?> unreadableEntry = Root.GetEntryAsync<int>("text");

        Assert.Equal(KvErrorCode.NotNumeric, (await Assert.ThrowsAsync<KvException>(() => notNumeric.AsTask())).Code);
        Assert.Equal(KvErrorCode.Overflow, (await Assert.ThrowsAsync<KvException>(() => overflow.AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => unreadable.AsTask())).Code);
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => unreadableEntry.AsTask())).Code);
    }

    [Fact]
    public async Task Overflow_leaves_the_ttl_as_it_was()
    {
        await Root.SetAsync("max", long.MaxValue, KvSetOptions.WithTtl(Ttl));
        DateTimeOffset? before = (await Root.GetEntryAsync<long>("max"))!.ExpiresAt;

        await Assert.ThrowsAsync<KvException>(() => Root.IncrementAsync("max", 1, KvSetOptions.WithTtl(Ttl * 5)).AsTask());

        DateTimeOffset? after = (await Root.GetEntryAsync<long>("max"))!.ExpiresAt;
        Assert.NotNull(after);
        Assert.InRange(after.Value, before!.Value - Backend.ExpiryPrecision, before.Value + Backend.ExpiryPrecision);
    }

    [Fact]
    public async Task String_that_happens_to_be_base64_is_not_read_as_bytes()
    {
        await Root.SetAsync("text", "abcd");
        await Root.SetAsync<byte[]?>("null-bytes", null);

        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => Root.GetAsync<byte[]>("text").AsTask())).Code);
        Assert.Null(await Root.GetAsync<byte[]>("null-bytes"));
        Assert.True(await Root.ExistsAsync("null-bytes"));
    }

    [Fact]
    public async Task Numbers_written_as_strings_by_custom_options_are_not_integers_to_increment()
    {
        var options = new JsonSerializerOptions(KvValueSerializer.Default.Options) { NumberHandling = JsonNumberHandling.WriteAsString };
        IAtomicKvStore custom = Backend.CreateAdaptor(new KvValueSerializer(options)).Namespace(RootName);

        await custom.SetAsync("n", 5L);
        await custom.SetAsync("i", 5);

        // The payload is the JSON string "5": not an integer on any backend, whatever the writer's type was.
        Assert.Equal(KvErrorCode.NotNumeric, (await Assert.ThrowsAsync<KvException>(() => custom.IncrementAsync("n").AsTask())).Code);
        Assert.Equal(KvErrorCode.NotNumeric, (await Assert.ThrowsAsync<KvException>(() => custom.IncrementAsync("i").AsTask())).Code);
        Assert.Equal("5", await Root.GetAsync<string>("n"));
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => Root.GetAsync<long>("n").AsTask())).Code);
    }

    [Fact]
    public async Task NaN_without_named_literals_in_custom_options_is_InvalidValue()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General) { TypeInfoResolver = KvValueSerializer.Default.Options.TypeInfoResolver };
        IAtomicKvStore custom = Backend.CreateAdaptor(new KvValueSerializer(options)).Namespace(RootName);

        KvException ex = await Assert.ThrowsAsync<KvException>(() => custom.SetAsync("nan", double.NaN).AsTask());

        Assert.Equal(KvErrorCode.InvalidValue, ex.Code);
        Assert.False(await Root.ExistsAsync("nan"));
    }

    [Fact]
    public async Task Serializer_options_decide_how_values_are_written_and_read()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = KvValueSerializer.Default.Options.TypeInfoResolver };
        IAtomicKvStore web = Backend.CreateAdaptor(new KvValueSerializer(options)).Namespace(RootName);

        await web.SetAsync("user", new Address("Oslo", "0150"));

        Assert.Equal("Oslo", (await Root.GetAsync<JsonElement>("user")).GetProperty("city").GetString());
        Assert.Equal(new Address("Oslo", "0150"), await web.GetAsync<Address>("user"));
    }
}
