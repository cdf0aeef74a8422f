using System.Text;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>
/// The namespace index (<c>__kv:ord</c>, <c>__kv:exp</c>, <c>__kv:ix</c>) against Redis's own expiry, on real time:
/// a key Redis expired is neither listed, counted nor sized; its stale records are removed by
/// <see cref="RedisKv.CollectExpiredAsync"/> and, a few at a time, by writes that add a TTL entry; transactions do
/// exact 64-bit arithmetic.
/// </summary>
public abstract class RedisKvIndexTests<TFixture>(TFixture redis) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : RedisServerFixture
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);

    private readonly string _instanceName = "index-" + Guid.NewGuid().ToString("N")[..12] + ":";
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
    public async Task The_index_is_readable_with_redis_cli()
    {
        IAtomicKvStore admin = _kv.Namespace("sessions").Namespace("admin");
        await admin.SetAsync("b", 42, new KvSetOptions { Ttl = TimeSpan.FromMinutes(5), Metadata = new { Owner = "ada" } });
        await admin.SetAsync("a", "x");
        long version = (await admin.GetEntryAsync<int>("b"))!.Version;

        string prefix = _instanceName + "{sessions}:admin::__kv:";
        Assert.Equal(["a", "b"], Texts(await _cli.CommandAsync("ZRANGEBYLEX", prefix + "ord", "-", "+")));
        Assert.Equal(["b"], Texts(await _cli.CommandAsync("ZRANGE", prefix + "exp", "0", "-1")));
        Assert.Equal($"{version}:2:{{\"Owner\":\"ada\"}}", await _cli.CommandTextAsync("HGET", prefix + "ix", "b"));
        Assert.Equal(version + 1, long.Parse((await _cli.CommandTextAsync("GET", _instanceName + "{sessions}::__kv:ver"))!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["sessions:admin"], Texts(await _cli.CommandAsync("SMEMBERS", _instanceName + "{sessions}::__kv:ns")));

        // No adaptor-wide registry of roots: CollectExpired finds the roots' registries with SCAN, so no write sends a
        // command beside its script.
        Assert.Equal(0L, (long)(await _cli.CommandAsync("EXISTS", _instanceName + "__kv:roots"))!);

        // The data key and its index entry expire at the same instant, on Redis's clock.
        long pexpireAt = (long)(await _cli.CommandAsync("PEXPIRETIME", _instanceName + "{sessions}:admin::b"))!;
        Assert.Equal(pexpireAt.ToString(System.Globalization.CultureInfo.InvariantCulture), await _cli.CommandTextAsync("ZSCORE", prefix + "exp", "b"));
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

        // A write with a TTL removes up to two due records of its namespace: every TTL here outlasts all the writes
        // (1 s, even on a loaded machine), so no write can remove an earlier one's record.
        TimeSpan ttl = TimeSpan.FromSeconds(1);
        await store.SetAsync("short", "v", KvSetOptions.WithTtl(ttl));
        await store.SetManyAsync([new KeyValuePair<string, int>("short2", 1)], KvSetOptions.WithTtl(ttl));
        await store.IncrementAsync("short3", 1, KvSetOptions.WithTtl(ttl));
        Assert.True(await store.ExpireAsync("later", ttl));

        await WaitUntilRedisExpiredAsync("{expiry}::short", "{expiry}::short2", "{expiry}::short3", "{expiry}::later");

        // The records are still there (nothing collected them), yet no read path sees the keys.
        Assert.Equal(5L, (long)(await _cli.CommandAsync("ZCARD", _instanceName + "{expiry}::__kv:ord"))!);
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
    public async Task A_key_the_engine_has_expired_is_not_listed_counted_or_sized_even_before_the_index_instant()
    {
        // Garnet 2.2.8 can expire a key a few ms before its TIME reaches the key's instant: right after EXISTS first
        // says the key is gone, no read path may show it (README, Compatibility). Several rounds, to meet that moment.
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
    public async Task CollectExpired_removes_the_stale_records_of_every_namespace_and_leaves_live_ones()
    {
        IAtomicKvStore one = _kv.Namespace("collect");
        IAtomicKvStore two = _kv.Namespace("collect").Namespace("child");
        IAtomicKvStore three = _kv.Namespace("other");
        await one.SetAsync("live", 1, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));
        await one.SetAsync("a", 1, KvSetOptions.WithTtl(Short));
        await two.SetAsync("b", 1, KvSetOptions.WithTtl(Short));
        await two.SetAsync("c", 1, KvSetOptions.WithTtl(Short));
        await three.IncrementAsync("d", 1, KvSetOptions.WithTtl(Short));
        await WaitUntilRedisExpiredAsync("{collect}::a", "{collect}:child::b", "{collect}:child::c", "{other}::d");

        // A leftover registry of roots of the former layout is removed by the collection.
        await _cli.CommandAsync("SADD", _instanceName + "__kv:roots", "collect");

        // Another adaptor (another app instance) collects what this one wrote: the registries are in Redis.
        await using var other = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = _instanceName });
        Assert.Equal(4, await other.CollectExpiredAsync());

        Assert.Equal(["live"], Texts(await _cli.CommandAsync("ZRANGE", _instanceName + "{collect}::__kv:ord", "0", "-1")));
        Assert.Equal(1L, (long)(await _cli.CommandAsync("HLEN", _instanceName + "{collect}::__kv:ix"))!);
        Assert.Equal(0L, (long)(await _cli.CommandAsync("EXISTS", _instanceName + "{collect}:child::__kv:ord", _instanceName + "{other}::__kv:exp"))!);

        // Namespaces without TTL entries leave their root's registry; the live one stays.
        Assert.Equal(["collect"], Texts(await _cli.CommandAsync("SMEMBERS", _instanceName + "{collect}::__kv:ns")));
        Assert.Equal(0L, (long)(await _cli.CommandAsync("EXISTS", _instanceName + "__kv:roots"))!);
        Assert.Equal(0, await _kv.CollectExpiredAsync());
        Assert.Equal(1, await one.GetAsync<int>("live"));
    }

    [Fact]
    public async Task Each_write_that_adds_a_TTL_entry_removes_up_to_two_due_records_of_its_namespace_and_a_permanent_write_none()
    {
        IAtomicKvStore store = _kv.Namespace("sweep");
        // One script writes all three, so no write's own sweep can see an earlier one already due (a race on a slow
        // engine when each had its own 50 ms TTL written separately).
        await store.SetManyAsync(Enumerable.Range(0, 3).Select(i => new KeyValuePair<string, int>("old" + i, i)), KvSetOptions.WithTtl(Short));

        await WaitUntilRedisExpiredAsync("{sweep}::old0", "{sweep}::old1", "{sweep}::old2");

        // A permanent write and a delete read no clock and sweep nothing: they cost what they write.
        await store.SetAsync("permanent", 1);
        await store.DeleteAsync("missing");
        Assert.Equal(4L, (long)(await _cli.CommandAsync("ZCARD", _instanceName + "{sweep}::__kv:ord"))!);

        await store.SetAsync("new", 1, KvSetOptions.WithTtl(TimeSpan.FromHours(1)));
        Assert.Equal(3L, (long)(await _cli.CommandAsync("ZCARD", _instanceName + "{sweep}::__kv:ord"))!);
        Assert.Equal(2L, (long)(await _cli.CommandAsync("ZCARD", _instanceName + "{sweep}::__kv:exp"))!);

        Assert.True(await store.ExpireAsync("permanent", TimeSpan.FromHours(1)));
        Assert.Equal(["new", "permanent"], Texts(await _cli.CommandAsync("ZRANGE", _instanceName + "{sweep}::__kv:ord", "0", "-1")));
        Assert.Equal(2L, (long)(await _cli.CommandAsync("HLEN", _instanceName + "{sweep}::__kv:ix"))!);
    }

    [Fact]
    public async Task Persist_and_a_permanent_set_take_the_key_out_of_the_expiry_index()
    {
        IAtomicKvStore store = _kv.Namespace("persist");
        await store.SetAsync("a", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));
        await store.SetAsync("b", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));

        Assert.True(await store.PersistAsync("a"));
        await store.SetAsync("b", 2);

        Assert.Equal(0L, (long)(await _cli.CommandAsync("ZCARD", _instanceName + "{persist}::__kv:exp"))!);
        Assert.Equal(-1L, (long)(await _cli.CommandAsync("PTTL", _instanceName + "{persist}::a"))!);
        Assert.Equal(-1L, (long)(await _cli.CommandAsync("PTTL", _instanceName + "{persist}::b"))!);
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

    [Fact]
    public async Task CollectExpired_matches_the_instance_name_literally_in_its_SCAN()
    {
        // "*" in one adaptor's instance name must not make its collection take another instance's namespaces.
        await using var star = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = _instanceName + "*" });
        await using var plain = new RedisKv(new RedisKvOptions { Configuration = redis.Configuration, InstanceName = _instanceName + "z" });
        await plain.Namespace("glob").SetAsync("a", 1, KvSetOptions.WithTtl(Short));
        await WaitUntilRedisExpiredAsync("z{glob}::a");

        Assert.Equal(0, await star.CollectExpiredAsync());
        Assert.Equal(1, await plain.CollectExpiredAsync());
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

    private static string[] Texts(object? reply) => [.. ((object?[])reply!).Select(RespConnection.AsText).Select(t => t!)];
}

/// <summary>The tests on redis-server.</summary>
public sealed class RedisKvIndexTests(RedisServerFixture redis) : RedisKvIndexTests<RedisServerFixture>(redis);

/// <summary>The same tests on Garnet.</summary>
public sealed class GarnetKvIndexTests(GarnetServerFixture garnet) : RedisKvIndexTests<GarnetServerFixture>(garnet);
