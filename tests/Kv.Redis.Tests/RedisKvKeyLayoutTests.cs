using System.Text;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>
/// What a Redis user sees (the physical layout, the stored bytes) and keys whose characters mean something to Redis:
/// glob characters, hash-tag braces, backslashes and spaces.
/// </summary>
public abstract class RedisKvKeyLayoutTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    private readonly string _instanceName = "layout-" + Guid.NewGuid().ToString("N")[..12] + ":";
    private RedisKv _kv = null!;
    private RespConnection _cli = null!;

    public static TheoryData<string> SpecialKeys => new()
    {
        "*", "?", "[", "]", "[abc]", "a*b", "a?c", "\\", "\\*", "x\\y", "{", "}", "{tag}", "{}", "a{b}c",
        " ", "a b", " leading", "trailing ", "*?[]\\{} all", "ns::inner", "::", "emoji 🔑",
    };

    public async Task InitializeAsync()
    {
        _kv = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = _instanceName });
        _cli = await RespConnection.ConnectAsync(redis.EndPoint);
    }

    public async Task DisposeAsync()
    {
        await _kv.DisposeAsync();
        await _cli.DisposeAsync();
        await redis.DeleteKeysAsync(_instanceName);
    }

    [Fact]
    public async Task Physical_key_is_instance_name_then_root_as_hash_tag_then_rest_of_path_then_double_colon_then_key()
    {
        IAtomicKvStore admin = _kv.Namespace("sessions").Namespace("admin");

        await admin.SetAsync("user:1", new { Name = "Ada" });
        await admin.SetAsync("count", 42);
        await admin.SetAsync("blob", new byte[] { 0, 1, 0xFF });

        // As redis-cli shows it: the namespace path reads apart from the key.
        Assert.Equal("{\"Name\":\"Ada\"}", await _cli.CommandTextAsync("GET", _instanceName + "{sessions}:admin::user:1"));
        Assert.Equal("42", await _cli.CommandTextAsync("GET", _instanceName + "{sessions}:admin::count"));
        Assert.Equal(new byte[] { KvValueSerializer.RawBytesMarker, 0, 1, 0xFF }, (byte[]?)await _cli.CommandAsync("GET", _instanceName + "{sessions}:admin::blob"));
    }

    [Fact]
    public async Task Ttl_is_stored_on_the_key_in_milliseconds()
    {
        IAtomicKvStore store = _kv.Namespace("ttl");

        await store.SetAsync("k", "v", KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(90_500.2)));
        long pttl = (long)(await _cli.CommandAsync("PTTL", _instanceName + "{ttl}::k"))!;

        // Rounded up to 90 501 ms; the server's clock has run a little since.
        Assert.InRange(pttl, 80_000, 90_501);
    }

    [Theory]
    [MemberData(nameof(SpecialKeys))]
    public async Task Keys_with_glob_brace_backslash_and_space_characters_behave(string key)
    {
        IAtomicKvStore store = _kv.Namespace("special");
        IAtomicKvStore neighbour = _kv.Namespace("special").Namespace("child");
        await store.SetAsync("a", "other");
        await neighbour.SetAsync(key, "neighbour");

        await store.SetAsync(key, "value");
        Assert.Equal("value", await store.GetAsync<string>(key));
        Assert.True(await store.ExistsAsync(key));
        Assert.Equal("\"value\"", await _cli.CommandTextAsync("GET", Encoding.UTF8.GetBytes(_instanceName + "{special}::" + key)));

        Assert.True(await store.ExpireAsync(key, TimeSpan.FromMinutes(1)));
        Assert.NotNull((await store.GetEntryAsync<string>(key))!.ExpiresAt);
        Assert.False(await store.SetIfNotExistsAsync(key, "again"));
        Assert.True(await store.DeleteAsync(key));
        Assert.False(await store.ExistsAsync(key));
        Assert.Equal(5, await store.IncrementAsync(key, 5, KvSetOptions.WithTtl(TimeSpan.FromMinutes(1))));
        Assert.Equal(7, await store.IncrementAsync(key, 2));
        Assert.True(await store.DeleteAsync(key));

        // Nothing else was touched, whatever the key's characters mean to Redis.
        Assert.Equal("other", await store.GetAsync<string>("a"));
        Assert.Equal("neighbour", await neighbour.GetAsync<string>(key));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("[ab]")]
    [InlineData("{tag}")]
    [InlineData("a b")]
    [InlineData("back\\slash")]
    public async Task Namespaces_with_glob_brace_backslash_and_space_characters_stay_apart(string name)
    {
        IAtomicKvStore special = _kv.Namespace("ns").Namespace(name);
        IAtomicKvStore plain = _kv.Namespace("ns").Namespace("plain");

        await special.SetAsync("k", 1);
        await plain.SetAsync("k", 2);

        Assert.Equal(1, await special.GetAsync<int>("k"));
        Assert.Equal(2, await plain.GetAsync<int>("k"));
        Assert.True(await special.DeleteAsync("k"));
        Assert.Equal(2, await plain.GetAsync<int>("k"));
    }

    public static TheoryData<string> RawPayloads => new()
    {
        "0", "-0", "00", "01", "-01", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "\"10\"", "true", "null", "-", "12a", "١",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "99999999999999999999", "-99999999999999999999", "123456789012345678901", "42", "-42",
    };

    [Theory]
    [MemberData(nameof(RawPayloads))]
    public async Task Increment_accepts_exactly_the_integers_TryParseInteger_accepts_and_changes_nothing_otherwise(string raw)
    {
        IAtomicKvStore store = _kv.Namespace("raw");
        byte[] payload = Encoding.UTF8.GetBytes(raw);
        await _cli.CommandAsync("SET", _instanceName + "{raw}::n", payload);

        if (KvValueSerializer.TryParseInteger(payload, out long value))
        {
            Assert.Equal(value, await store.IncrementAsync("n", 0));
        }
        else
        {
            KvException error = await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("n", 1).AsTask());
            Assert.Equal(KvErrorCode.NotNumeric, error.Code);
            Assert.Equal(payload, (byte[]?)await _cli.CommandAsync("GET", _instanceName + "{raw}::n"));
        }
    }

    [Fact]
    public async Task Raw_bytes_that_look_like_an_integer_after_the_marker_are_not_numeric()
    {
        IAtomicKvStore store = _kv.Namespace("raw");
        await store.SetAsync("bytes", "12"u8.ToArray());

        Assert.Equal(KvErrorCode.NotNumeric, (await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("bytes").AsTask())).Code);
        Assert.Equal("12"u8.ToArray(), await store.GetAsync<byte[]>("bytes"));
    }

    [Fact]
    public async Task Increment_keeps_full_64_bit_precision_and_stops_at_overflow()
    {
        IAtomicKvStore store = _kv.Namespace("precision");

        await store.SetAsync("max", long.MaxValue - 2);
        Assert.Equal(long.MaxValue - 1, await store.IncrementAsync("max"));
        Assert.Equal(long.MaxValue, await store.IncrementAsync("max"));
        Assert.Equal(KvErrorCode.Overflow, (await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("max").AsTask())).Code);
        Assert.Equal(long.MaxValue, await store.GetAsync<long>("max"));

        Assert.Equal(long.MinValue, await store.IncrementAsync("min", long.MinValue));
        Assert.Equal(KvErrorCode.Overflow, (await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("min", -1).AsTask())).Code);
        Assert.Equal(long.MinValue + 1, await store.IncrementAsync("min", 1));
        Assert.Equal("-9223372036854775807", await _cli.CommandTextAsync("GET", _instanceName + "{precision}::min"));
    }

    [Fact]
    public async Task Increment_creates_with_the_ttl_and_keeps_an_existing_ttl()
    {
        IAtomicKvStore store = _kv.Namespace("incr");

        await store.IncrementAsync("n", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));
        long created = (long)(await _cli.CommandAsync("PTTL", _instanceName + "{incr}::n"))!;
        await store.IncrementAsync("n", 1, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));
        long kept = (long)(await _cli.CommandAsync("PTTL", _instanceName + "{incr}::n"))!;

        Assert.InRange(created, 1, 60_000);
        Assert.InRange(kept, 1, created);
    }
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisKvKeyLayoutTests(RedisServerFixture redis) : RedisKvKeyLayoutTests<RedisServerFixture>(redis);

/// <summary>The same tests on Garnet.</summary>
public sealed class GarnetKvKeyLayoutTests(GarnetServerFixture garnet) : RedisKvKeyLayoutTests<GarnetServerFixture>(garnet);
