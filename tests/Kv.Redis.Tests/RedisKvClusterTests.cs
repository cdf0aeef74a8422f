using System.Text;
using Kv.Redis.Tests.Infrastructure;

namespace Kv.Redis.Tests;

/// <summary>
/// Redis Cluster rules: everything under one top-level namespace (its data keys, index keys, version counter and
/// registry) shares a hash slot, so batches, scripts and transactions under one root work; a transaction across roots
/// in different slots fails with <see cref="KvErrorCode.CrossSlot"/> and changes nothing.
/// </summary>
public sealed class RedisKvClusterTests(RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>, IAsyncLifetime
{
    private readonly string _instanceName = "cluster-" + Guid.NewGuid().ToString("N")[..12] + ":";
    private RedisKv _kv = null!;

    public Task InitializeAsync()
    {
        _kv = new RedisKv(new RedisKvOptions { Configuration = cluster.Configuration, InstanceName = _instanceName });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _kv.DisposeAsync();
        await cluster.DeleteKeysAsync(_instanceName);
    }

    [Theory]
    [InlineData("sessions")]
    [InlineData("}x")]
    [InlineData("{a}")]
    [InlineData("a}b{")]
    public async Task Every_key_under_one_root_shares_a_hash_slot(string root)
    {
        IAtomicKvStore top = _kv.Namespace(root);
        IAtomicKvStore child = top.Namespace("child").Namespace("grandchild");
        await top.SetAsync("k1", 1, KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));
        await child.SetManyAsync([new KeyValuePair<string, int>("k2", 2), new("{other}", 3)], KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));
        Assert.NotEqual(0, (await child.GetEntryAsync<int>("k2"))!.Version); // Creates the root's version counter.

        // The three data keys and the root's version counter: one slot, as the cluster itself computes it.
        var slots = new HashSet<long>();
        int keys = 0;
        await cluster.ForEachKeyAsync(_instanceName, async (connection, key) =>
        {
            keys++;
            slots.Add((long)(await connection.CommandAsync("CLUSTER", "KEYSLOT", key))!);
        });

        Assert.Equal(4, keys);
        Assert.Single(slots);
        Assert.Equal(2, (await child.GetManyAsync<int>(["k2", "{other}"])).Count);
        Assert.Equal(2, await child.DeleteManyAsync(["k2", "{other}", "missing"]));
        Assert.True((await top.CreateTransaction().Set(top, "k1", 5).Increment(child, "n", 1).CommitAsync()).Applied);
    }

    [Fact]
    public async Task A_transaction_across_roots_in_different_slots_fails_with_CrossSlot_and_changes_nothing()
    {
        (string left, string right) = TwoRootsInDifferentSlots();
        IAtomicKvStore a = _kv.Namespace(left);
        IAtomicKvStore b = _kv.Namespace(right);
        await a.SetAsync("k", "before");

        KvException error = await Assert.ThrowsAsync<KvException>(() =>
            a.CreateTransaction().Set(a, "k", "after").Set(b, "k", "after").CommitAsync().AsTask());

        Assert.Equal(KvErrorCode.CrossSlot, error.Code);
        Assert.Contains("top-level namespace", error.Message, StringComparison.Ordinal);
        Assert.Equal("before", await a.GetAsync<string>("k"));
        Assert.False(await b.ExistsAsync("k"));
    }

    [Fact]
    public async Task Listing_counting_and_sizes_scan_the_node_that_holds_each_root()
    {
        var stores = Enumerable.Range(0, 12).Select(i => _kv.Namespace("root" + i)).ToArray();
        foreach (IAtomicKvStore store in stores)
        {
            await store.SetManyAsync([new KeyValuePair<string, int>("a", 1), new("b", 2)]);
            await store.Namespace("child").SetAsync("c", 3);
        }

        // The roots live on several nodes (16384 slots over 3 masters), and each listing finds its own keys only.
        Assert.True(stores.Select((_, i) => HashSlotOf(_instanceName + "{root" + i + "}") * 3 / 16384).Distinct().Count() > 1);
        foreach (IAtomicKvStore store in stores)
        {
            Assert.Equal(["a", "b"], (await store.ListAsync()).Keys.Select(k => k.Name));
            Assert.Equal(2, await store.CountAsync());
            Assert.Equal(["c"], await store.Namespace("child").KeysAsync());
            Assert.Equal(2 * ("a".Length + "1".Length), await store.GetStorageSizeAsync());
        }

        Assert.Equal(0, await _kv.CollectExpiredAsync());
    }

    private static int HashSlotOf(string key) => ClusterSlot(Encoding.UTF8.GetBytes(key));

    private (string Left, string Right) TwoRootsInDifferentSlots()
    {
        int first = HashSlotOf(_instanceName + "{a}");
        for (char c = 'b'; ; c++)
        {
            if (HashSlotOf(_instanceName + "{" + c + "}") != first)
            {
                return ("a", c.ToString());
            }
        }
    }

    // CRC16 (XMODEM) of the hash tag, mod 16384, as Redis Cluster computes it.
    private static int ClusterSlot(byte[] key)
    {
        int open = Array.IndexOf(key, (byte)'{');
        if (open >= 0)
        {
            int close = Array.IndexOf(key, (byte)'}', open + 1);
            if (close > open + 1)
            {
                key = key[(open + 1)..close];
            }
        }

        int crc = 0;
        foreach (byte b in key)
        {
            crc ^= b << 8;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            crc &= 0xFFFF;
        }

        return crc % 16384;
    }
}
