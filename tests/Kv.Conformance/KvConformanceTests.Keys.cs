using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    public static TheoryData<string> ValidKeys => new()
    {
        "a",
        "user:123",
        "shopping cart",
        "tenant/123/settings",
        "email@domain.com",
        "price_in_$USD",
        "50%_discount!",
        "status_🚀",
        "👨‍👩‍👧",
        "_single_underscore",
        "a__b",
        " ",
        "*?[]\\{}",
        "ключ",
        new string('k', 255),
        string.Concat(Enumerable.Repeat("🚀", 127)), // 254 UTF-16 code units: surrogate pairs
    };

    public static TheoryData<string, string> InvalidKeys => new()
    {
        { "", "empty" },
        { new string('k', 256), "256 characters" },
        { "__system", "reserved __ prefix" },
        { "__", "reserved __ prefix alone" },
        { "key\nwith newline", "newline" },
        { "tab\there", "tab" },
        { "nul\0byte", "NUL" },
        { "del\u007f", "DEL control character" },
        { "c1\u0085", "C1 control character" },
        { "lone\ud800high", "lone high surrogate" },
        { "lone\udc00low", "lone low surrogate" },
        { "ends\ud83d", "high surrogate at the end" },
    };

    [Theory]
    [MemberData(nameof(ValidKeys), DisableDiscoveryEnumeration = true)]
    public async Task Valid_key_can_be_set_read_and_deleted(string key)
    {
        await Root.SetAsync(key, "value");

        Assert.Equal("value", await Root.GetAsync<string>(key));
        Assert.True(await Root.ExistsAsync(key));
        Assert.True(await Root.DeleteAsync(key));
        Assert.False(await Root.ExistsAsync(key));
    }

    [Theory]
    // Not enumerated at discovery: xunit would serialize the data and replace lone surrogates with U+FFFD.
    [MemberData(nameof(InvalidKeys), DisableDiscoveryEnumeration = true)]
    public async Task Invalid_key_is_rejected_by_every_operation(string key, string why)
    {
        _ = why;
        var ttl = KvSetOptions.WithTtl(TimeSpan.FromMinutes(1));
        Func<Task>[] operations =
        [
            () => Root.GetAsync<string>(key).AsTask(),
            () => Root.GetEntryAsync<string>(key).AsTask(),
            () => Root.SetAsync(key, "v").AsTask(),
            () => Root.SetAsync(key, "v", ttl).AsTask(),
            () => Root.DeleteAsync(key).AsTask(),
            () => Root.ExistsAsync(key).AsTask(),
            () => Root.ExpireAsync(key, TimeSpan.FromMinutes(1)).AsTask(),
            () => Root.IncrementAsync(key).AsTask(),
            () => Root.SetIfNotExistsAsync(key, "v").AsTask(),
        ];

        foreach (Func<Task> operation in operations)
        {
            KvException ex = await Assert.ThrowsAsync<KvException>(operation);
            Assert.Equal(KvErrorCode.InvalidKey, ex.Code);
        }
    }

    [Fact]
    public async Task Null_key_throws_ArgumentNullException()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.GetAsync<string>(null!).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.SetAsync(null!, 1).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.DeleteAsync(null!).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.ExistsAsync(null!).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.ExpireAsync(null!, TimeSpan.FromSeconds(1)).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.IncrementAsync(null!).AsTask());
        await Assert.ThrowsAsync<ArgumentNullException>(() => Root.SetIfNotExistsAsync(null!, 1).AsTask());
    }

    [Fact]
    public void Invalid_key_message_does_not_contain_the_key()
    {
        const string secret = "__secret-token-123";
        KvException ex = Assert.Throws<KvException>(() => KvKeyRules.ValidateKey(secret));

        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_are_case_sensitive_and_exact()
    {
        await Root.SetAsync("Key", 1);
        await Root.SetAsync("key", 2);
        await Root.SetAsync("key ", 3);

        Assert.Equal(1, await Root.GetAsync<int>("Key"));
        Assert.Equal(2, await Root.GetAsync<int>("key"));
        Assert.Equal(3, await Root.GetAsync<int>("key "));
    }
}
