using System.Text;
using System.Text.Json;
using Xunit;

namespace Kv.Conformance;

/// <summary>A type whose getter throws (not a System.Text.Json error), as a half-built object might.</summary>
public sealed class ThrowingGetter
{
    private readonly Dictionary<string, string> _fields = [];

    public string Name => _fields["name"];
}

public sealed record Labelled(string Label);

public abstract partial class KvConformanceTests
{
    // One rule on every backend and every read path: Kv stores text exactly or refuses it. System.Text.Json would write
    // a lone surrogate (or invalid UTF-8 inside a JsonElement) as U+FFFD, so the value read back would not be the value
    // written; the write throws InvalidValue instead and stores nothing.
    // Passed by index: xUnit would carry a lone surrogate in a theory argument as U+FFFD.
    private static readonly string[] InvalidTexts = ["a\ud800b", "\udc00", "trailing high \ud83d", "reversed \ude00\ud83d"];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_string_with_a_lone_surrogate_is_refused_and_nothing_is_stored(int index)
    {
        string text = InvalidTexts[index];
        Assert.ThrowsAny<ArgumentException>(() => new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(text)); // really invalid
        await Root.SetAsync("ls", "before");

        await AssertInvalidValueAsync(() => Root.SetAsync("ls", text).AsTask());
        await AssertInvalidValueAsync(() => Root.SetAsync<object>("ls", text).AsTask());
        await AssertInvalidValueAsync(() => Root.SetAsync("ls", new Labelled(text)).AsTask());
        await AssertInvalidValueAsync(() => Root.SetAsync("ls", new Dictionary<string, int> { [text] = 1 }).AsTask());
        await AssertInvalidValueAsync(() => Root.SetAsync("ls", new List<string> { "fine", text }).AsTask());
        await AssertInvalidValueAsync(() => Root.SetIfNotExistsAsync("fresh", text).AsTask());
        await AssertInvalidValueAsync(() => Root.SetManyAsync<string>([new("m1", "fine"), new("m2", text)]).AsTask());

        Assert.Equal("before", await Root.GetAsync<string>("ls"));
        Assert.False(await Root.ExistsAsync("fresh"));
        Assert.Equal(0, await Root.CountAsync("m*"));
    }

    [Fact]
    public async Task A_JsonElement_with_invalid_UTF8_or_an_escaped_lone_surrogate_is_refused()
    {
        JsonElement invalidUtf8 = JsonSerializer.Deserialize<JsonElement>(new byte[] { (byte)'"', 0xFF, 0xFE, (byte)'"' });
        JsonElement escapedSurrogate = JsonSerializer.Deserialize<JsonElement>("\"\\ud800\"");

        await AssertInvalidValueAsync(() => Root.SetAsync("e", invalidUtf8).AsTask());
        await AssertInvalidValueAsync(() => Root.SetAsync("e", escapedSurrogate).AsTask());
        Assert.False(await Root.ExistsAsync("e"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Metadata_with_a_lone_surrogate_is_refused_and_nothing_is_stored(int index)
    {
        string text = InvalidTexts[index];
        await Root.SetAsync("m", "before", new KvSetOptions { Metadata = "fine" });

        await AssertInvalidValueAsync(() => Root.SetAsync("m", "after", new KvSetOptions { Metadata = text }).AsTask());
        await AssertInvalidValueAsync(() => Root.SetAsync("m", "after", new KvSetOptions { Metadata = new Labelled(text) }).AsTask());
        await AssertInvalidValueAsync(() => Root.SetAsync("m", "after", new KvSetOptions { Metadata = new ThrowingGetter() }).AsTask());

        KvEntry<string>? entry = await Root.GetEntryAsync<string>("m");
        Assert.Equal("before", entry!.Value);
        Assert.Equal("fine", entry.Metadata!.Value.GetString());
    }

    [Fact]
    public async Task Valid_text_with_a_replacement_character_or_surrogate_pairs_round_trips_on_every_read_path()
    {
        const string text = "a\uFFFDb \ud83d\ude00 \u00e9";
        await Root.SetAsync("t", text);
        await Root.SetAsync("r", new Labelled(text));

        Assert.Equal(text, await Root.GetAsync<string>("t"));
        Assert.Equal(text, ((JsonElement)(await Root.GetAsync<object>("t"))!).GetString());
        Assert.Equal(text, (await Root.GetEntryAsync<string>("t"))!.Value);
        Assert.Equal(text, (await Root.GetManyAsync<string>(["t"]))["t"]);
        Assert.Equal(new Labelled(text), await Root.GetAsync<Labelled>("r"));
    }

    [Fact]
    public async Task A_value_whose_getter_throws_is_InvalidValue_with_the_cause_inside()
    {
        await Root.SetAsync("g", 1);

        KvException error = await Assert.ThrowsAsync<KvException>(() => Root.SetAsync("g", new ThrowingGetter()).AsTask());

        Assert.Equal(KvErrorCode.InvalidValue, error.Code);
        Assert.IsType<KeyNotFoundException>(error.InnerException);
        Assert.Equal(1, await Root.GetAsync<int>("g"));
    }

    private static async Task AssertInvalidValueAsync(Func<Task> call) =>
        Assert.Equal(KvErrorCode.InvalidValue, (await Assert.ThrowsAsync<KvException>(call)).Code);
}
