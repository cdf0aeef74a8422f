using System.Text.Json;
using Xunit;

namespace Kv.Conformance;

public sealed record Address(string City, string Zip);

public sealed record User(string Name, int Age, Address Home, List<string> Tags);

public sealed class Node
{
    public string Name { get; set; } = "";

    public Node? Next { get; set; }
}

public abstract partial class KvConformanceTests
{
    private async Task<T?> RoundTrip<T>(T value)
    {
        await Root.SetAsync("value", value);
        return await Root.GetAsync<T>("value");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bool_round_trips_as_bool(bool value) => Assert.Equal(value, await RoundTrip(value));

    [Theory]
    [InlineData(0)]
    [InlineData(42)]
    [InlineData(-7)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public async Task Int_round_trips(int value) => Assert.Equal(value, await RoundTrip(value));

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(9_007_199_254_740_993L)] // not representable as a double
    public async Task Long_round_trips_with_full_precision(long value) => Assert.Equal(value, await RoundTrip(value));

    [Theory]
    [InlineData(3.14)]
    [InlineData(0.1)]
    [InlineData(-0.0)]
    [InlineData(double.MaxValue)]
    [InlineData(double.Epsilon)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public async Task Double_round_trips_including_NaN_and_infinities(double value) =>
        Assert.Equal(value, await RoundTrip(value));

    [Fact]
    public async Task Decimal_round_trips_with_scale()
    {
        Assert.Equal(1.10m, await RoundTrip(1.10m));
        Assert.Equal("1.10", (await RoundTrip(1.10m)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(decimal.MaxValue, await RoundTrip(decimal.MaxValue));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("launched 🚀 👨‍👩‍👧")]
    [InlineData("quotes \" and \\ and \n newline")]
    [InlineData("10")]
    [InlineData("null")]
    public async Task String_round_trips(string value) => Assert.Equal(value, await RoundTrip(value));

    [Fact]
    public async Task Byte_array_round_trips_as_the_same_bytes()
    {
        byte[][] samples =
        [
            [],
            [0, 1, 2, 255],
            [0xFF, 0xFE],
            "\"looks like json\""u8.ToArray(),
            "42"u8.ToArray(),
            Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray(),
        ];

        foreach (byte[] bytes in samples)
        {
            Assert.Equal(bytes, await RoundTrip(bytes));
        }
    }

    [Fact]
    public async Task Byte_array_stored_under_object_reads_back_as_bytes()
    {
        await Root.SetAsync<object>("bytes", new byte[] { 1, 2, 3 });

        Assert.Equal(new byte[] { 1, 2, 3 }, await Root.GetAsync<byte[]>("bytes"));
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.IsType<byte[]>(await Root.GetAsync<object>("bytes")));
    }

    [Fact]
    public async Task Record_round_trips_as_an_equal_value()
    {
        var user = new User("Alice", 30, new Address("Oslo", "0150"), ["admin", "dev"]);

        User? read = await RoundTrip(user);

        Assert.NotNull(read);
        Assert.Equal(user.Name, read.Name);
        Assert.Equal(user.Age, read.Age);
        Assert.Equal(user.Home, read.Home);
        Assert.Equal(user.Tags, read.Tags);
    }

    [Fact]
    public async Task List_and_dictionary_round_trip()
    {
        Assert.Equal([1, 2, 3], await RoundTrip(new List<int> { 1, 2, 3 }));

        await Root.SetAsync("dictionary", new Dictionary<string, object?> { ["a"] = 1L, ["b"] = "two", ["c"] = null });
        Dictionary<string, JsonElement>? read = await Root.GetAsync<Dictionary<string, JsonElement>>("dictionary");
        Assert.NotNull(read);
        Assert.Equal(1, read["a"].GetInt64());
        Assert.Equal("two", read["b"].GetString());
        Assert.Equal(JsonValueKind.Null, read["c"].ValueKind);

        var typed = new Dictionary<string, List<int>> { ["x"] = [1], ["y"] = [] };
        Dictionary<string, List<int>>? readTyped = await RoundTrip(typed);
        Assert.NotNull(readTyped);
        Assert.Equal(typed.Keys.Order(), readTyped.Keys.Order());
        Assert.Equal([1], readTyped["x"]);
        Assert.Empty(readTyped["y"]);
    }

    [Fact]
    public async Task Other_common_types_round_trip()
    {
        var guid = Guid.NewGuid();
        var when = new DateTimeOffset(2026, 11, 22, 10, 30, 0, TimeSpan.FromHours(2));

        Assert.Equal(guid, await RoundTrip(guid));
        Assert.Equal(when, await RoundTrip(when));
        Assert.Equal(TimeSpan.FromMinutes(90), await RoundTrip(TimeSpan.FromMinutes(90)));
        Assert.Equal(DayOfWeek.Friday, await RoundTrip(DayOfWeek.Friday));
        Assert.Equal(new[] { "a", "b" }, await RoundTrip(new[] { "a", "b" }));
    }

    [Fact]
    public async Task Stored_null_is_a_value_and_the_key_exists()
    {
        await Root.SetAsync<string?>("nothing", null);

        Assert.True(await Root.ExistsAsync("nothing"));
        Assert.Null(await Root.GetAsync<string>("nothing"));
        Assert.Null(await Root.GetAsync<int?>("nothing"));
        KvEntry<string>? entry = await Root.GetEntryAsync<string>("nothing");
        Assert.NotNull(entry);
        Assert.Null(entry.Value);
    }

    [Fact]
    public async Task Missing_key_reads_as_default_and_has_no_entry()
    {
        Assert.Null(await Root.GetAsync<string>("missing"));
        Assert.Equal(0, await Root.GetAsync<int>("missing"));
        Assert.Null(await Root.GetAsync<int?>("missing"));
        Assert.Null(await Root.GetEntryAsync<string>("missing"));
        Assert.False(await Root.ExistsAsync("missing"));
        Assert.False(await Root.DeleteAsync("missing"));
    }

    [Fact]
    public async Task Stored_default_is_told_apart_from_a_missing_key()
    {
        await Root.SetAsync("zero", 0);

        Assert.Equal(0, (await Root.GetEntryAsync<int>("zero"))!.Value);
        Assert.Null(await Root.GetEntryAsync<int>("absent"));
    }

    [Fact]
    public async Task Set_replaces_the_value_and_its_type()
    {
        await Root.SetAsync("k", "text");
        await Root.SetAsync("k", 12);

        Assert.Equal(12, await Root.GetAsync<int>("k"));
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(() => Root.GetAsync<string>("k").AsTask())).Code);
    }

    [Fact]
    public async Task Mutating_an_object_after_set_does_not_change_the_stored_value()
    {
        var tags = new List<string> { "a" };
        var user = new User("Alice", 30, new Address("Oslo", "0150"), tags);
        byte[] bytes = [1, 2, 3];

        await Root.SetAsync("user", user);
        await Root.SetAsync("bytes", bytes);
        tags.Add("mutated");
        bytes[0] = 99;

        Assert.Equal(["a"], (await Root.GetAsync<User>("user"))!.Tags);
        Assert.Equal(new byte[] { 1, 2, 3 }, await Root.GetAsync<byte[]>("bytes"));
    }

    [Fact]
    public async Task Mutating_a_read_object_does_not_change_the_stored_value()
    {
        await Root.SetAsync("list", new List<int> { 1 });
        await Root.SetAsync("bytes", new byte[] { 1 });

        (await Root.GetAsync<List<int>>("list"))!.Add(2);
        (await Root.GetAsync<byte[]>("bytes"))![0] = 42;

        Assert.Equal([1], await Root.GetAsync<List<int>>("list"));
        Assert.Equal(new byte[] { 1 }, await Root.GetAsync<byte[]>("bytes"));
    }

    [Fact]
    public async Task Value_with_a_cycle_throws_InvalidValue_and_stores_nothing()
    {
        var node = new Node { Name = "a" };
        node.Next = node;
        await Root.SetAsync("existing", "before");

        KvException ex = await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("cycle", node).AsTask());
        KvException overwrite = await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("existing", node).AsTask());
        KvException setnx = await Assert.ThrowsAsync<KvException>(() => Root.SetIfNotExistsAsync("cycle", node).AsTask());

        Assert.Equal(KvErrorCode.InvalidValue, ex.Code);
        Assert.Equal(KvErrorCode.InvalidValue, overwrite.Code);
        Assert.Equal(KvErrorCode.InvalidValue, setnx.Code);
        Assert.False(await Root.ExistsAsync("cycle"));
        Assert.Equal("before", await Root.GetAsync<string>("existing"));
    }

    [Fact]
    public async Task Value_of_an_unsupported_type_throws_InvalidValue()
    {
        KvException ex = await Assert.ThrowsAsync<KvException>(() => Root.SetAsync<object>("type", typeof(string)).AsTask());
        KvException pointer = await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("ptr", IntPtr.Zero).AsTask());

        Assert.Equal(KvErrorCode.InvalidValue, ex.Code);
        Assert.Equal(KvErrorCode.InvalidValue, pointer.Code);
        Assert.False(await Root.ExistsAsync("type"));
        Assert.False(await Root.ExistsAsync("ptr"));
    }

    [Fact]
    public async Task Reading_as_an_incompatible_type_throws_InvalidValue()
    {
        await Root.SetAsync("text", "hello");
        await Root.SetAsync("number", 42);
        await Root.SetAsync("flag", true);
        await Root.SetAsync("fraction", 1.5);
        await Root.SetAsync("user", new User("A", 1, new Address("c", "z"), []));
        await Root.SetAsync("bytes", new byte[] { 1 });
        await Root.SetAsync<string?>("null", null);

        (string Key, Func<Task> Read)[] cases =
        [
            ("text", () => Root.GetAsync<int>("text").AsTask()),
            ("number", () => Root.GetAsync<string>("number").AsTask()),
            ("number", () => Root.GetAsync<bool>("number").AsTask()),
            ("flag", () => Root.GetAsync<int>("flag").AsTask()),
            ("fraction", () => Root.GetAsync<long>("fraction").AsTask()),
            ("user", () => Root.GetAsync<int>("user").AsTask()),
            ("user", () => Root.GetAsync<List<int>>("user").AsTask()),
            ("bytes", () => Root.GetAsync<string>("bytes").AsTask()),
            ("text", () => Root.GetAsync<byte[]>("text").AsTask()),
            ("null", () => Root.GetAsync<int>("null").AsTask()),
            ("number", () => Root.GetEntryAsync<string>("number").AsTask()),
        ];

        foreach ((string key, Func<Task> read) in cases)
        {
            KvException ex = await Assert.ThrowsAsync<KvException>(read);
            Assert.True(ex.Code == KvErrorCode.InvalidValue, $"reading '{key}' gave {ex.Code}");
        }

        Assert.Equal("hello", await Root.GetAsync<string>("text"));
    }

    [Fact]
    public async Task Typed_reads_give_the_stored_kind()
    {
        await Root.SetAsync("flag", true);
        await Root.SetAsync("int", 42);
        await Root.SetAsync("float", 3.14);

        Assert.Equal(JsonValueKind.True, (await Root.GetAsync<JsonElement>("flag")).ValueKind);
        Assert.Equal(42L, await Root.GetAsync<long>("int"));
        Assert.True((await Root.GetAsync<JsonElement>("int")).TryGetInt64(out long integer) && integer == 42);
        Assert.Equal(3.14, (await Root.GetAsync<JsonElement>("float")).GetDouble());
        Assert.Equal(JsonValueKind.Number, Assert.IsType<JsonElement>(await Root.GetAsync<object>("int")).ValueKind);
    }

    [Fact]
    public async Task JsonTypeInfo_overloads_use_the_given_metadata()
    {
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<User>)
            KvValueSerializer.Default.Options.GetTypeInfo(typeof(User));
        var user = new User("Bob", 2, new Address("x", "y"), ["t"]);

        await Root.SetAsync("u", user, info);
        Assert.True(await Root.SetIfNotExistsAsync("u2", user, info));

        Assert.Equal("Bob", (await Root.GetAsync("u", info))!.Name);
        Assert.Equal("Bob", (await Root.GetEntryAsync("u2", info))!.Value!.Name);
    }

    [Fact]
    public async Task Cancelled_token_throws_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        CancellationToken token = cts.Token;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Root.GetAsync<string>("k", token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Root.SetAsync("k", 1, null, token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Root.IncrementAsync("k", 1, null, token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Root.SetIfNotExistsAsync("k", 1, null, token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Root.DeleteAsync("k", token).AsTask());
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task Adaptors_of_one_backend_share_data()
    {
        AtomicKvAdaptor other = Backend.CreateAdaptor();

        await Root.SetAsync("shared", "from one");

        Assert.Equal("from one", await other.Namespace(RootName).GetAsync<string>("shared"));
    }
}
