using System.Globalization;
using System.Text;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>
/// How Kv stores data on Redis, against Redis's own expiry, on real time: values as they are (a header only for
/// metadata and versions), no index beside them; listing by SCAN never shows a key Redis expired or a key that is not
/// the namespace's; versions are assigned when read and erased by every write; increments of values with a header;
/// transactions do exact 64-bit arithmetic.
/// </summary>
public abstract class RedisKvStorageTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    private readonly string _instanceName = "layout-" + Guid.NewGuid().ToString("N")[..12] + ":";
    private RedisKv _kv = null!;
    private RespConnection _cli = null!;

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
    public async Task The_data_is_readable_with_redis_cli_and_nothing_else_is_kept_beside_it()
    {
        IAtomicKvStore admin = _kv.Namespace("sessions").Namespace("admin");
        await admin.SetAsync("b", 42, new KvSetOptions { Ttl = TimeSpan.FromMinutes(5), Metadata = new { Owner = "ada" } });
        await admin.SetAsync("a", "x");
        await admin.SetAsync("bytes", new byte[] { 1, 2 });

        string prefix = _instanceName + "{sessions}:admin::";
        Assert.Equal("\"x\"", await _cli.CommandTextAsync("GET", prefix + "a"));
        Assert.Equal([0xFF, 1, 2], (byte[])(await _cli.CommandAsync("GET", prefix + "bytes"))!);
        Assert.Equal("\u00fe:15:{\"Owner\":\"ada\"}42", Latin1(await _cli.CommandAsync("GET", prefix + "b")));
        Assert.InRange((long)(await _cli.CommandAsync("PTTL", prefix + "b"))!, 1, 300_000);
        Assert.Equal([prefix + "a", prefix + "b", prefix + "bytes"], await KeysAsync());

        // A read with details gives the entry a version from its root's counter, kept in the value's header.
        long version = (await admin.GetEntryAsync<int>("b"))!.Version;
        Assert.Equal(version, long.Parse((await _cli.CommandTextAsync("GET", _instanceName + "{sessions}::__kv:ver"))!, CultureInfo.InvariantCulture));
        Assert.Equal($"\u00fe{version}:15:{{\"Owner\":\"ada\"}}42", Latin1(await _cli.CommandAsync("GET", prefix + "b")));
        Assert.InRange((long)(await _cli.CommandAsync("PTTL", prefix + "b"))!, 1, 300_000);
    }

    [Fact]
    public async Task Every_write_erases_the_version_so_a_check_against_an_earlier_read_fails_even_for_the_same_value()
    {
        IAtomicKvStore store = _kv.Namespace("versions");
        await store.SetAsync("k", 1);
        long first = (await store.GetEntryAsync<int>("k"))!.Version;
        Assert.Equal(first, (await store.GetEntryAsync<int>("k"))!.Version); // A read does not move it.
        Assert.True(await store.ExpireAsync("k", TimeSpan.FromMinutes(1)));
        Assert.Equal(first, (await store.GetEntryAsync<int>("k"))!.Version); // Nor does a TTL change.

        await store.SetAsync("k", 1); // The same value, written again.
        Assert.False((await store.CreateTransaction().Check(store, "k", first).Set(store, "k", 2).CommitAsync()).Applied);
        long second = (await store.GetEntryAsync<int>("k"))!.Version;
        Assert.True(second > first);

        Assert.Equal(2, await store.IncrementAsync("k")); // An increment is a write too.
        Assert.Equal("2", await _cli.CommandTextAsync("GET", _instanceName + "{versions}::k")); // Plain digits again.
        Assert.False((await store.CreateTransaction().Check(store, "k", second).Set(store, "k", 5).CommitAsync()).Applied);
        long third = (await store.GetEntryAsync<int>("k"))!.Version;
        Assert.True(third > second);
        Assert.True((await store.CreateTransaction().Check(store, "k", third).Set(store, "k", 5).CommitAsync()).Applied);
        Assert.Equal(5, await store.GetAsync<int>("k"));
    }

    [Fact]
    public async Task An_increment_of_a_value_with_a_header_keeps_its_metadata_and_ttl()
    {
        IAtomicKvStore store = _kv.Namespace("counters");
        await store.SetAsync("c", 5, new KvSetOptions { Ttl = TimeSpan.FromMinutes(5), Metadata = new { Kind = "hits" } });

        Assert.Equal(7, await store.IncrementAsync("c", 2));
        Assert.Equal(8, await store.IncrementAsync("c", 1, KvSetOptions.WithTtl(TimeSpan.FromSeconds(1))));

        KvEntry<long> entry = (await store.GetEntryAsync<long>("c"))!;
        Assert.Equal(8, entry.Value);
        Assert.Equal("hits", entry.Metadata!.Value.GetProperty("Kind").GetString());
        Assert.InRange((long)(await _cli.CommandAsync("PTTL", _instanceName + "{counters}::c"))!, 2_000, 300_000);
        await store.SetAsync("s", "text", new KvSetOptions { Metadata = new { Kind = "text" } });
        Assert.Equal(KvErrorCode.NotNumeric, (await Assert.ThrowsAsync<KvException>(() => store.IncrementAsync("s").AsTask())).Code);
        Assert.Equal("text", await store.GetAsync<string>("s"));
    }

    [Fact]
    public async Task Listing_shows_only_the_namespaces_own_keys_never_Kvs_own_keys_nor_another_instances()
    {
        IAtomicKvStore store = _kv.Namespace("mine");
        await store.SetAsync("a", 1);
        await store.SetAsync("b", 1);
        await store.Namespace("child").SetAsync("c", 1);
        await store.GetEntryAsync<int>("a"); // Creates the root's version counter, {mine}::__kv:ver.

        // "*" in another adaptor's instance name is matched literally by its SCAN, and the other way round.
        await using var star = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = _instanceName + "*" });
        await star.Namespace("mine").SetAsync("z", 1);
        await _cli.CommandAsync("SET", _instanceName + "{mine}::__kv:rl:x", "1");

        Assert.Equal(["a", "b"], await store.KeysAsync());
        Assert.Equal(2, await store.CountAsync());
        Assert.Equal(["z"], await star.Namespace("mine").KeysAsync());
        Assert.Equal(["c"], await store.Namespace("child").KeysAsync());
    }

    [Fact]
    public async Task A_root_name_with_a_closing_brace_keeps_one_hash_tag()
    {
        IAtomicKvStore store = _kv.Namespace("}odd}").Namespace("child");
        await store.SetAsync("k", 1);

        Assert.Equal("1", await _cli.CommandTextAsync("GET", _instanceName + "{:7dodd:7d}:child::k"));
        Assert.Equal(["k"], await store.KeysAsync());
    }

    [Fact]
    public async Task A_key_that_Redis_expired_is_not_listed_counted_or_sized()
    {
        IAtomicKvStore store = _kv.Namespace("expiry");
        await store.SetAsync("live", "v");
        await store.SetAsync("later", "v");

        TimeSpan ttl = TimeSpan.FromSeconds(1);
        await store.SetAsync("short", "v", KvSetOptions.WithTtl(ttl));
        await store.SetManyAsync([new KeyValuePair<string, int>("short2", 1)], KvSetOptions.WithTtl(ttl));
        await store.IncrementAsync("short3", 1, KvSetOptions.WithTtl(ttl));
        Assert.True(await store.ExpireAsync("later", ttl));

        await WaitUntilRedisExpiredAsync("{expiry}::short", "{expiry}::short2", "{expiry}::short3", "{expiry}::later");

        Assert.Equal(["live"], (await store.ListAsync()).Keys.Select(k => k.Name));
        Assert.Equal(["live"], await store.KeysAsync("*"));
        Assert.Equal(["live"], await store.KeysAsync("l*"));
        Assert.Equal(1, await store.CountAsync());
        Assert.Equal(1, await store.CountAsync("*e"));
        Assert.Equal(Encoding.UTF8.GetByteCount("live") + 3, await store.GetStorageSizeAsync());
        Assert.Equal(["live"], (await store.GetStorageSizeAsync(["live", "short", "later"])).Keys);
        Assert.Equal(KvTtlState.Missing, (await store.GetTimeToLiveAsync("short")).State);
        Assert.False(await store.PersistAsync("short"));
    }

    [Fact]
    public async Task A_key_the_engine_has_expired_is_not_listed_counted_or_sized_the_moment_the_engine_expired_it()
    {
        // Right after EXISTS first says the key is gone, no read path may show it (Garnet 2.2.8 can expire a key a few
        // ms before its TIME reaches the key's instant). Several rounds, to meet that moment.
        IAtomicKvStore store = _kv.Namespace("moment");
        await store.SetAsync("live", 1);
        for (int round = 0; round < 10; round++)
        {
            string key = "k" + round;
            await store.SetAsync(key, 1, KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(30)));
            while ((long)(await _cli.CommandAsync("EXISTS", _instanceName + "{moment}::" + key))! == 1)
            {
            }

            Assert.Equal(["live"], (await store.ListAsync()).Keys.Select(k => k.Name));
            Assert.Equal(1, await store.CountAsync());
            Assert.Equal(0, await store.CountAsync("k*"));
            Assert.Empty(await store.GetStorageSizeAsync([key]));
        }
    }

    [Fact]
    public async Task A_transaction_across_two_roots_works_on_a_standalone_server_with_one_version_above_both_counters()
    {
        IAtomicKvStore left = _kv.Namespace("left");
        IAtomicKvStore right = _kv.Namespace("right");
        for (int i = 0; i < 5; i++)
        {
            await left.SetAsync("x", i);
        }

        await right.SetAsync("y", 0);

        KvCommitResult result = await left.CreateTransaction().Set(left, "x", 10).Increment(right, "y", 3).CommitAsync();

        Assert.True(result.Applied);
        Assert.Equal(result.Version, (await left.GetEntryAsync<int>("x"))!.Version);
        Assert.Equal(result.Version, (await right.GetEntryAsync<int>("y"))!.Version);
        await right.SetAsync("y", 4);
        Assert.True((await right.GetEntryAsync<int>("y"))!.Version > result.Version);
    }

    public static TheoryData<long, long> IncrementPairs()
    {
        var data = new TheoryData<long, long>
        {
            { long.MaxValue - 1, 1 }, { long.MaxValue, 1 }, { long.MinValue + 1, -1 }, { long.MinValue, -1 }, { long.MinValue, long.MaxValue },
            { long.MaxValue, long.MinValue }, { -1, 1 }, { 1, -1 }, { 999_999_999, 1 }, { 1_000_000_000, -1 }, { -999_999_999, -1 },
            { -1_000_000_000, 1 }, { 1_999_999_999, 1 }, { -5, 3 }, { 0, 0 }, { 123_456_789_012, -123_456_789_013 },
            { 4_611_686_018_427_387_904, 4_611_686_018_427_387_904 }, { 4_611_686_018_427_387_904, 4_611_686_018_427_387_903 },
            { -4_611_686_018_427_387_904, -4_611_686_018_427_387_904 }, { -4_611_686_018_427_387_904, -4_611_686_018_427_387_905 },
        };
        var random = new Random(1234);
        for (int i = 0; i < 30; i++)
        {
            long a = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63);
            long b = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63);
            data.Add(a, b);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(IncrementPairs))]
    public async Task A_transaction_increment_is_exact_64_bit_arithmetic_and_overflow_changes_nothing(long start, long by)
    {
        IAtomicKvStore store = _kv.Namespace("arith");
        string key = "n" + Guid.NewGuid().ToString("N");
        await store.SetAsync(key, start);
        await store.SetAsync("witness", "before");

        long? expected;
        try
        {
            expected = checked(start + by);
        }
        catch (OverflowException)
        {
            expected = null;
        }

        KvTransaction transaction = store.CreateTransaction().Set(store, "witness", "after").Increment(store, key, by);
        if (expected is { } sum)
        {
            Assert.True((await transaction.CommitAsync()).Applied);
            Assert.Equal(sum, await store.GetAsync<long>(key));
            Assert.Equal(sum, await store.IncrementAsync(key, 0));
        }
        else
        {
            Assert.Equal(KvErrorCode.Overflow, (await Assert.ThrowsAsync<KvException>(() => transaction.CommitAsync().AsTask())).Code);
            Assert.Equal(start, await store.GetAsync<long>(key));
            Assert.Equal("before", await store.GetAsync<string>("witness"));
        }
    }

    private async Task WaitUntilRedisExpiredAsync(params string[] keys)
    {
        // EXISTS makes Redis expire a key whose time has passed: this waits for Redis's own expiry, on real time.
        for (int attempt = 0; attempt < 500; attempt++)
        {
            object[] args = ["EXISTS", .. keys.Select(k => _instanceName + k)];
            if ((long)(await _cli.CommandAsync(args))! == 0)
            {
                // Strictly past the expiry instant on the index's millisecond clock as well.
                await Task.Delay(5);
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail("Redis did not expire the keys.");
    }

    // Every key of this class's instance name.
    private async Task<string[]> KeysAsync()
    {
        var keys = new List<string>();
        await redis.ForEachKeyAsync(_instanceName, (_, key) =>
        {
            keys.Add(Encoding.UTF8.GetString(key));
            return Task.CompletedTask;
        });
        keys.Sort(StringComparer.Ordinal);
        return [.. keys];
    }

    private static string Latin1(object? reply) => Encoding.Latin1.GetString((byte[])reply!);
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisKvStorageTests(RedisServerFixture redis) : RedisKvStorageTests<RedisServerFixture>(redis);

/// <summary>The same tests on Garnet.</summary>
public sealed class GarnetKvStorageTests(GarnetServerFixture garnet) : RedisKvStorageTests<GarnetServerFixture>(garnet);
