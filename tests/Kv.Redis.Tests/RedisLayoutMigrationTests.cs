using System.Text;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>
/// Data written by the index layout of earlier Kv.Redis versions (a sorted set, an expiry set and a record hash per
/// namespace, registries per root and per instance) keeps working, and <see cref="RedisKv.MigrateLayoutAsync"/> moves
/// its versions and metadata into the values once. The old layout is written here by hand, as the old scripts wrote it.
/// </summary>
public abstract class RedisLayoutMigrationTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    private readonly string _instanceName = "migrate-" + Guid.NewGuid().ToString("N")[..12] + ":";
    private RespConnection _cli = null!;

    public async Task InitializeAsync() => _cli = await RespConnection.ConnectAsync(redis.EndPoint);

    public async Task DisposeAsync()
    {
        await _cli.DisposeAsync();
        await redis.DeleteKeysAsync(_instanceName);
    }

    [Fact]
    public async Task Old_layout_data_stays_readable_and_migrates_once_with_its_versions_metadata_and_ttls()
    {
        string app = _instanceName + "{app}::";
        string child = _instanceName + "{app}:child::";
        string other = _instanceName + "x{app}::"; // Another instance name, which this adaptor must not touch.
        await Old(app, "a", "1", version: 7, metadata: "");
        await Old(app, "b", "\"x\"", version: 9, metadata: "{\"m\":1}", ttlMs: 600_000);
        await Old(app, "stale", "1", version: 5, metadata: "{\"old\":true}");
        await Old(child, "c", "2", version: 8, metadata: "{\"n\":2}");
        await Old(other, "d", "3", version: 4, metadata: "{\"o\":3}");
        await _cli.CommandAsync("HSET", app + "__kv:ix", "gone", "3:1:{\"g\":1}"); // A record whose key expired.
        await _cli.CommandAsync("SET", _instanceName + "{app}::__kv:ver", "9");
        await _cli.CommandAsync("SADD", _instanceName + "{app}::__kv:ns", "app");
        await _cli.CommandAsync("SADD", _instanceName + "__kv:roots", "app");

        await using var kv = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = _instanceName });
        IAtomicKvStore store = kv.Namespace("app");

        // Before the migration: values, TTLs, listings and counts work; versions and metadata are not seen.
        Assert.Equal(1, await store.GetAsync<int>("a"));
        Assert.Equal("x", await store.GetAsync<string>("b"));
        Assert.Equal(["a", "b", "stale"], await store.KeysAsync());
        Assert.Equal(KvTtlState.Expiring, (await store.GetTimeToLiveAsync("b")).State);
        Assert.Equal(["c"], await store.Namespace("child").KeysAsync());

        // A new write of a key before the migration makes its old record stale: the migration leaves it alone.
        await store.SetAsync("stale", 12);

        Assert.Equal(3, await kv.MigrateLayoutAsync());

        KvEntry<string> b = (await store.GetEntryAsync<string>("b"))!;
        Assert.Equal(("x", 9L, 1), (b.Value, b.Version, b.Metadata!.Value.GetProperty("m").GetInt32()));
        Assert.NotNull(b.ExpiresAt);
        KvEntry<int> a = (await store.GetEntryAsync<int>("a"))!;
        Assert.Equal((1, 7L, (System.Text.Json.JsonElement?)null), (a.Value, a.Version, a.Metadata));
        KvEntry<int> c = (await store.Namespace("child").GetEntryAsync<int>("c"))!;
        Assert.Equal((2, 8L, 2), (c.Value, c.Version, c.Metadata!.Value.GetProperty("n").GetInt32()));
        KvEntry<int> stale = (await store.GetEntryAsync<int>("stale"))!;
        Assert.Equal(12, stale.Value);
        Assert.Null(stale.Metadata);
        Assert.True(stale.Version > 9); // From the root's counter, which the migration kept.
        Assert.True((await store.CreateTransaction().Check(store, "b", 9).Set(store, "b", "y").CommitAsync()).Applied);

        // The old index keys are gone; the version counters stay; another instance's keys are untouched.
        Assert.Equal(0L, (long)(await _cli.CommandAsync(
            "EXISTS", app + "__kv:ix", app + "__kv:ord", app + "__kv:exp", child + "__kv:ix", _instanceName + "{app}::__kv:ns", _instanceName + "__kv:roots"))!);
        Assert.Equal(1L, (long)(await _cli.CommandAsync("EXISTS", _instanceName + "{app}::__kv:ver"))!);
        Assert.Equal(3L, (long)(await _cli.CommandAsync("EXISTS", other + "__kv:ix", other + "__kv:ord", other + "d"))!);
        Assert.Equal("3", await _cli.CommandTextAsync("GET", other + "d"));

        Assert.Equal(0, await kv.MigrateLayoutAsync()); // Once.
    }

    [Fact]
    public async Task A_user_key_that_looks_like_a_record_hash_is_left_alone()
    {
        await using var kv = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = _instanceName });
        IAtomicKvStore store = kv.Namespace("look");
        await store.SetAsync("x::__kv:ix", 5);

        Assert.Equal(0, await kv.MigrateLayoutAsync());
        Assert.Equal(5, await store.GetAsync<int>("x::__kv:ix"));
    }

    // Writes one entry as the index layout did: the value, its record, its ord member, and its exp member with a TTL.
    private async Task Old(string prefix, string key, string payload, long version, string metadata, long? ttlMs = null)
    {
        await _cli.CommandAsync("SET", prefix + key, payload);
        await _cli.CommandAsync("HSET", prefix + "__kv:ix", key, $"{version}:{Encoding.UTF8.GetByteCount(payload)}:{metadata}");
        await _cli.CommandAsync("ZADD", prefix + "__kv:ord", "0", key);
        if (ttlMs is { } ttl)
        {
            await _cli.CommandAsync("PEXPIRE", prefix + key, ttl.ToString(System.Globalization.CultureInfo.InvariantCulture));
            long at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + ttl;
            await _cli.CommandAsync("ZADD", prefix + "__kv:exp", at.ToString(System.Globalization.CultureInfo.InvariantCulture), key);
        }
    }
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisLayoutMigrationTests(RedisServerFixture redis) : RedisLayoutMigrationTests<RedisServerFixture>(redis);

/// <summary>The same tests on Garnet.</summary>
public sealed class GarnetLayoutMigrationTests(GarnetServerFixture garnet) : RedisLayoutMigrationTests<GarnetServerFixture>(garnet);
