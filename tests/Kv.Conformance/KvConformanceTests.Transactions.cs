using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    [Fact]
    public async Task A_transaction_applies_puts_deletes_and_increments_across_namespaces()
    {
        IAtomicKvStore sessions = Root.Namespace("sessions");
        IAtomicKvStore logs = Root.Namespace("logs");
        await Root.Namespace("cache").SetAsync("u1", "stale");
        await logs.SetAsync("count", 5);

        KvCommitResult result = await sessions.CreateTransaction()
            .Set(sessions, "u1", new { data = 1 }, KvSetOptions.WithTtl(Ttl))
            .Set(logs, "u1", "logged in")
            .Delete(Root.Namespace("cache"), "u1")
            .Increment(logs, "count", 2)
            .CommitAsync();

        Assert.True(result.Applied);
        Assert.True(result.Version > 0);
        Assert.Equal("logged in", await logs.GetAsync<string>("u1"));
        Assert.Equal(7, await logs.GetAsync<long>("count"));
        Assert.False(await Root.Namespace("cache").ExistsAsync("u1"));
        Assert.Equal(KvTtlState.Expiring, (await sessions.GetTimeToLiveAsync("u1")).State);
        Assert.Equal(result.Version, (await sessions.GetEntryAsync<object>("u1"))!.Version);
        Assert.Equal(result.Version, (await logs.GetEntryAsync<long>("count"))!.Version);
    }

    [Fact]
    public async Task A_check_of_the_version_read_lets_the_commit_apply()
    {
        await Root.SetAsync("balance", 100);
        KvEntry<int>? read = await Root.GetEntryAsync<int>("balance");

        KvCommitResult result = await Root.CreateTransaction()
            .Check(Root, "balance", read!.Version)
            .Set(Root, "balance", read.Value - 30)
            .CommitAsync();

        Assert.True(result.Applied);
        Assert.Equal(70, await Root.GetAsync<int>("balance"));
        Assert.True(result.Version > read.Version);
    }

    [Fact]
    public async Task A_failed_check_applies_nothing()
    {
        await Root.SetAsync("balance", 100);
        await Root.SetAsync("other", "before");
        long stale = (await Root.GetEntryAsync<int>("balance"))!.Version;
        await Root.SetAsync("balance", 100);

        KvCommitResult result = await Root.CreateTransaction()
            .Set(Root, "other", "after")
            .Check(Root, "balance", stale)
            .Delete(Root, "balance")
            .CommitAsync();

        Assert.False(result.Applied);
        Assert.Equal(0, result.Version);
        Assert.Equal("before", await Root.GetAsync<string>("other"));
        Assert.Equal(100, await Root.GetAsync<int>("balance"));
    }

    [Fact]
    public async Task A_null_version_check_requires_a_missing_or_expired_key()
    {
        await Root.SetAsync("taken", 1);
        await Root.SetAsync("expired", 1, KvSetOptions.WithTtl(Ttl));
        await Backend.AdvanceTimeAsync(PastTheTtl);

        Assert.False((await Root.CreateTransaction().Check(Root, "taken", null).Set(Root, "taken", 2).CommitAsync()).Applied);
        Assert.True((await Root.CreateTransaction().Check(Root, "free", null).Set(Root, "free", 2).CommitAsync()).Applied);
        Assert.True((await Root.CreateTransaction().Check(Root, "expired", null).Set(Root, "expired", 2).CommitAsync()).Applied);
        Assert.Equal(1, await Root.GetAsync<int>("taken"));
        Assert.Equal(2, await Root.GetAsync<int>("expired"));
    }

    [Fact]
    public async Task A_failing_increment_fails_the_whole_transaction_and_changes_nothing()
    {
        await Root.SetAsync("text", "abc");
        await Root.SetAsync("max", long.MaxValue);

        KvException notNumeric = await Assert.ThrowsAsync<KvException>(() => Root.CreateTransaction()
            .Set(Root, "a", 1)
            .Increment(Root, "text")
            .CommitAsync().AsTask());
        KvException overflow = await Assert.ThrowsAsync<KvException>(() => Root.CreateTransaction()
            .Delete(Root, "text")
            .Increment(Root, "max")
            .CommitAsync().AsTask());

        Assert.Equal(KvErrorCode.NotNumeric, notNumeric.Code);
        Assert.Equal(KvErrorCode.Overflow, overflow.Code);
        Assert.False(await Root.ExistsAsync("a"));
        Assert.Equal("abc", await Root.GetAsync<string>("text"));
        Assert.Equal(long.MaxValue, await Root.GetAsync<long>("max"));
    }

    [Fact]
    public async Task Transaction_operations_apply_in_order()
    {
        await Root.CreateTransaction()
            .Set(Root, "n", 10)
            .Increment(Root, "n", 5)
            .Delete(Root, "gone")
            .Set(Root, "gone", "back")
            .Increment(Root, "created", 3, new KvSetOptions { Metadata = "m" })
            .CommitAsync();

        Assert.Equal(15, await Root.GetAsync<long>("n"));
        Assert.Equal("back", await Root.GetAsync<string>("gone"));
        KvEntry<long>? created = await Root.GetEntryAsync<long>("created");
        Assert.Equal(3, created!.Value);
        Assert.Equal("m", created.Metadata!.Value.GetString());
    }

    [Fact]
    public async Task A_transaction_rejects_bad_input_as_it_is_built()
    {
        KvTransaction transaction = Root.CreateTransaction();

        Assert.Equal(KvErrorCode.InvalidKey, Assert.Throws<KvException>(() => transaction.Set(Root, "__bad", 1)).Code);
        Assert.Equal(KvErrorCode.InvalidTtl, Assert.Throws<KvException>(() => transaction.Set(Root, "k", 1, KvSetOptions.WithTtl(TimeSpan.Zero))).Code);
        Assert.Equal(KvErrorCode.InvalidArgument, Assert.Throws<KvException>(() => transaction.Set(System.Reflection.DispatchProxy.Create<IKvStore, ForeignStore>(), "k", 1)).Code);
        Assert.Equal(KvErrorCode.InvalidArgument, Assert.Throws<KvException>(() => transaction.Check(Root, "k", 0)).Code);
        Assert.Throws<ArgumentNullException>(() => transaction.Delete(null!, "k"));

        Assert.True((await transaction.CommitAsync()).Applied);
        await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.CommitAsync().AsTask());
        Assert.False(await Root.ExistsAsync("k"));
    }

    [Fact]
    public async Task Optimistic_transactions_from_many_adaptors_lose_no_update()
    {
        AtomicKvAdaptor[] adaptors = [Adaptor, Backend.CreateAdaptor(), Backend.CreateAdaptor()];
        await Root.SetAsync("counter", 0);

        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
        {
            IAtomicKvStore store = adaptors[i % adaptors.Length].Namespace(RootName);
            while (true)
            {
                KvEntry<int>? entry = await store.GetEntryAsync<int>("counter");
                KvCommitResult result = await store.CreateTransaction()
                    .Check(store, "counter", entry!.Version)
                    .Set(store, "counter", entry.Value + 1)
                    .CommitAsync();
                if (result.Applied)
                {
                    return;
                }
            }
        })));

        Assert.Equal(60, await Root.GetAsync<int>("counter"));
    }

    /// <summary>A store of some other implementation: a transaction cannot take it.</summary>
    public class ForeignStore : System.Reflection.DispatchProxy
    {
        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
            throw new InvalidOperationException("Not called: the transaction rejects the store first.");
    }
}
