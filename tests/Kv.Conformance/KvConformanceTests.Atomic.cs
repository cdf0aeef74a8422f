using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    [Fact]
    public async Task Increment_creates_a_missing_key_with_the_amount()
    {
        Assert.Equal(1, await Root.IncrementAsync("a"));
        Assert.Equal(5, await Root.IncrementAsync("b", 5));
        Assert.Equal(-3, await Root.IncrementAsync("c", -3));
        Assert.Equal(0, await Root.IncrementAsync("d", 0));

        Assert.Equal(1, await Root.GetAsync<long>("a"));
        Assert.True(await Root.ExistsAsync("d"));
    }

    [Fact]
    public async Task Increment_adds_to_an_existing_integer_and_returns_the_new_value()
    {
        await Root.IncrementAsync("n", 10);

        Assert.Equal(11, await Root.IncrementAsync("n"));
        Assert.Equal(111, await Root.IncrementAsync("n", 100));
        Assert.Equal(111, await Root.GetAsync<int>("n"));
    }

    [Fact]
    public async Task Negative_increment_decrements()
    {
        await Root.SetAsync("stock", 3);

        Assert.Equal(2, await Root.IncrementAsync("stock", -1));
        Assert.Equal(-8, await Root.IncrementAsync("stock", -10));
    }

    [Fact]
    public async Task Increment_works_on_integers_written_by_set()
    {
        await Root.SetAsync("int", 42);
        await Root.SetAsync("long", long.MaxValue - 1);
        await Root.SetAsync("negative", -5L);
        await Root.SetAsync("whole-double", 3.0);
        await Root.SetAsync("whole-decimal", 7m);

        Assert.Equal(43, await Root.IncrementAsync("int"));
        Assert.Equal(long.MaxValue, await Root.IncrementAsync("long"));
        Assert.Equal(-4, await Root.IncrementAsync("negative"));
        Assert.Equal(4, await Root.IncrementAsync("whole-double"));
        Assert.Equal(8, await Root.IncrementAsync("whole-decimal"));
    }

    [Fact]
    public async Task Increment_sets_the_ttl_only_when_it_creates_the_key()
    {
        Assert.Equal(1, await Root.IncrementAsync("window", 1, KvSetOptions.WithTtl(Ttl)));
        await Backend.AdvanceTimeAsync(Ttl / 2);
        Assert.Equal(2, await Root.IncrementAsync("window", 1, KvSetOptions.WithTtl(Ttl * 10)));
        await Root.SetAsync("permanent", 1);
        Assert.Equal(2, await Root.IncrementAsync("permanent", 1, KvSetOptions.WithTtl(Ttl)));

        await AdvanceToJustBefore(Ttl / 2);
        Assert.Equal(2, await Root.GetAsync<long>("window"));
        await AdvanceOverTheEdge();
        Assert.False(await Root.ExistsAsync("window"));
        Assert.Null((await Root.GetEntryAsync<long>("permanent"))!.ExpiresAt);
    }

    [Fact]
    public async Task Increment_of_a_non_integer_throws_NotNumeric_and_changes_nothing()
    {
        await Root.SetAsync("string", "10");
        await Root.SetAsync("text", "hello");
        await Root.SetAsync("bool", true);
        await Root.SetAsync("fraction", 1.5);
        await Root.SetAsync("object", new Address("a", "b"));
        await Root.SetAsync("array", new[] { 1 });
        await Root.SetAsync<string?>("null", null);
        await Root.SetAsync("bytes", "42"u8.ToArray());
        await Root.SetAsync("big", decimal.MaxValue);
        await Root.SetAsync("nan", double.NaN);

        string[] keys = ["string", "text", "bool", "fraction", "object", "array", "null", "bytes", "big", "nan"];
        foreach (string key in keys)
        {
            KvException ex = await Assert.ThrowsAsync<KvException>(() => Root.IncrementAsync(key, 1, KvSetOptions.WithTtl(Ttl)).AsTask());
            Assert.True(ex.Code == KvErrorCode.NotNumeric, $"incrementing '{key}' gave {ex.Code}");
            Assert.Null((await Root.GetEntryAsync<object>(key))!.ExpiresAt);
        }

        Assert.Equal("10", await Root.GetAsync<string>("string"));
        Assert.True(await Root.GetAsync<bool>("bool"));
        Assert.Equal(1.5, await Root.GetAsync<double>("fraction"));
        Assert.Equal("42"u8.ToArray(), await Root.GetAsync<byte[]>("bytes"));
    }

    [Fact]
    public async Task Increment_that_overflows_throws_Overflow_and_changes_nothing()
    {
        await Root.SetAsync("max", long.MaxValue);
        await Root.SetAsync("min", long.MinValue);

        Assert.Equal(KvErrorCode.Overflow, (await Assert.ThrowsAsync<KvException>(() => Root.IncrementAsync("max").AsTask())).Code);
        Assert.Equal(KvErrorCode.Overflow, (await Assert.ThrowsAsync<KvException>(() => Root.IncrementAsync("min", -1).AsTask())).Code);
        Assert.Equal(KvErrorCode.Overflow, (await Assert.ThrowsAsync<KvException>(() => Root.IncrementAsync("max", long.MaxValue).AsTask())).Code);

        Assert.Equal(long.MaxValue, await Root.GetAsync<long>("max"));
        Assert.Equal(long.MinValue, await Root.GetAsync<long>("min"));
        Assert.Equal(long.MinValue + 1, await Root.IncrementAsync("min", 1));
        Assert.Equal(long.MaxValue - 1, await Root.IncrementAsync("max", -1));
    }

    [Fact]
    public async Task Increment_of_min_and_max_amounts_on_missing_keys()
    {
        Assert.Equal(long.MaxValue, await Root.IncrementAsync("a", long.MaxValue));
        Assert.Equal(long.MinValue, await Root.IncrementAsync("b", long.MinValue));
        Assert.Equal(-1, await Root.IncrementAsync("b", long.MaxValue));
    }

    [Fact]
    public async Task Concurrent_increments_from_32_tasks_lose_nothing()
    {
        const int tasks = 32;
        const int perTask = 50;
        AtomicKvAdaptor[] adaptors = [Adaptor, Backend.CreateAdaptor(), Backend.CreateAdaptor(), Backend.CreateAdaptor()];

        await Task.WhenAll(Enumerable.Range(0, tasks).Select(i => Task.Run(async () =>
        {
            IAtomicKvStore store = adaptors[i % adaptors.Length].Namespace(RootName);
            for (int j = 0; j < perTask; j++)
            {
                await store.IncrementAsync("counter");
            }
        })));

        Assert.Equal(tasks * perTask, await Root.GetAsync<long>("counter"));
    }

    [Fact]
    public async Task Set_if_not_exists_sets_a_missing_key_only()
    {
        Assert.True(await Root.SetIfNotExistsAsync("k", "first"));
        Assert.False(await Root.SetIfNotExistsAsync("k", "second"));

        Assert.Equal("first", await Root.GetAsync<string>("k"));
    }

    [Fact]
    public async Task Set_if_not_exists_treats_a_stored_null_as_existing()
    {
        await Root.SetAsync<string?>("k", null);

        Assert.False(await Root.SetIfNotExistsAsync("k", "value"));
        Assert.Null(await Root.GetAsync<string>("k"));
    }

    [Fact]
    public async Task Set_if_not_exists_stores_the_ttl_with_the_value()
    {
        DateTimeOffset before = Backend.TimeProvider.GetUtcNow();
        Assert.True(await Root.SetIfNotExistsAsync("lock", "owner", KvSetOptions.WithTtl(Ttl)));

        DateTimeOffset? expiresAt = (await Root.GetEntryAsync<string>("lock"))!.ExpiresAt;
        Assert.NotNull(expiresAt);
        Assert.InRange(expiresAt.Value, before + Ttl - Backend.ExpiryPrecision, before + Ttl + Backend.ExpiryPrecision);

        await AdvanceToJustBefore(Ttl);
        Assert.True(await Root.ExistsAsync("lock"));
        await AdvanceOverTheEdge();
        Assert.False(await Root.ExistsAsync("lock"));
    }

    [Fact]
    public async Task Losing_set_if_not_exists_leaves_the_ttl_alone()
    {
        await Root.SetAsync("k", "v");

        Assert.False(await Root.SetIfNotExistsAsync("k", "other", KvSetOptions.WithTtl(Ttl)));

        Assert.Null((await Root.GetEntryAsync<string>("k"))!.ExpiresAt);
    }

    [Fact]
    public async Task Concurrent_set_if_not_exists_from_64_tasks_has_exactly_one_winner()
    {
        AtomicKvAdaptor[] adaptors = [Adaptor, Backend.CreateAdaptor(), Backend.CreateAdaptor(), Backend.CreateAdaptor()];
        using var start = new ManualResetEventSlim();

        Task<bool>[] attempts = Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await adaptors[i % adaptors.Length].Namespace(RootName).SetIfNotExistsAsync("lock", i, KvSetOptions.WithTtl(Ttl));
        })).ToArray();
        start.Set();
        bool[] results = await Task.WhenAll(attempts);

        Assert.Single(results, won => won);
        int winner = Array.IndexOf(results, true);
        Assert.Equal(winner, await Root.GetAsync<int>("lock"));
    }
}
