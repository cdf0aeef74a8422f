using Xunit;

namespace Kv.Memory.Tests;

/// <summary>
/// What <see cref="KvStoreBase"/> does with a core that throws instead of returning a faulted task: the exception
/// reaches the caller through the returned task, as a later failure would, with or without metrics; and
/// <c>StoreFailed</c> wraps a client's exception as <see cref="KvErrorCode.StoreOperationFailed"/>.
/// </summary>
public sealed class KvStoreBaseFailureTests
{
    public static TheoryData<bool> WithMetrics => new() { false, true };

    [Theory]
    [MemberData(nameof(WithMetrics))]
    public async Task A_core_that_throws_fails_the_returned_task(bool withMetrics)
    {
        using var metrics = withMetrics ? new KvMetrics(meterFactory: null) : null;
        using var listener = withMetrics ? ListenTo(metrics!) : null;
        IAtomicKvStore store = new ThrowingAdaptor(metrics).Namespace("ns");

        // None of these calls may throw: each returns a task that carries the failure.
        ValueTask<string?> get = store.GetAsync<string>("k");
        ValueTask<KvEntry<string>?> entry = store.GetEntryAsync<string>("k");
        ValueTask set = store.SetAsync("k", "v");
        ValueTask<bool> delete = store.DeleteAsync("k");
        ValueTask<bool> exists = store.ExistsAsync("k");
        ValueTask<bool> expire = store.ExpireAsync("k", TimeSpan.FromSeconds(1));
        ValueTask<long> increment = store.IncrementAsync("k");
        ValueTask<bool> setIfNotExists = store.SetIfNotExistsAsync("k", "v");
        ValueTask<IReadOnlyDictionary<string, string?>> many = store.GetManyAsync<string>(["a", "b"]);
        ValueTask setMany = store.SetManyAsync(new Dictionary<string, int> { ["a"] = 1 });
        ValueTask<long> deleteMany = store.DeleteManyAsync(["a"]);
        ValueTask<KvTimeToLive> ttl = store.GetTimeToLiveAsync("k");
        ValueTask<bool> persist = store.PersistAsync("k");
        ValueTask<KvListResult> list = store.ListAsync(new KvListQuery());
        ValueTask<long> count = store.CountAsync(new KvListQuery());
        ValueTask<long> size = store.GetStorageSizeAsync();
        ValueTask<IReadOnlyDictionary<string, long>> sizes = store.GetStorageSizeAsync(["a"]);
        ValueTask<KvCommitResult> commit = store.CreateTransaction().Set(store, "k", 1).CommitAsync();

        await AssertStoreFailed(get.AsTask());
        await AssertStoreFailed(entry.AsTask());
        await AssertStoreFailed(set.AsTask());
        await AssertStoreFailed(delete.AsTask());
        await AssertStoreFailed(exists.AsTask());
        await AssertStoreFailed(expire.AsTask());
        await AssertStoreFailed(increment.AsTask());
        await AssertStoreFailed(setIfNotExists.AsTask());
        await AssertStoreFailed(many.AsTask());
        await AssertStoreFailed(setMany.AsTask());
        await AssertStoreFailed(deleteMany.AsTask());
        await AssertStoreFailed(ttl.AsTask());
        await AssertStoreFailed(persist.AsTask());
        await AssertStoreFailed(list.AsTask());
        await AssertStoreFailed(count.AsTask());
        await AssertStoreFailed(size.AsTask());
        await AssertStoreFailed(sizes.AsTask());
        await AssertStoreFailed(commit.AsTask());
    }

    [Fact]
    public void Argument_errors_are_still_thrown_before_any_core_runs()
    {
        IAtomicKvStore store = new ThrowingAdaptor(metrics: null).Namespace("ns");
        KvException error = Assert.Throws<KvException>(() => { _ = store.GetAsync<string>("__reserved").AsTask(); });
        Assert.Equal(KvErrorCode.InvalidKey, error.Code);
    }

    private static async Task AssertStoreFailed(Task task)
    {
        KvException error = await Assert.ThrowsAsync<KvException>(() => task);
        Assert.Equal(KvErrorCode.StoreOperationFailed, error.Code);
        Assert.IsType<IOException>(error.InnerException);
    }

    private static System.Diagnostics.Metrics.MeterListener ListenTo(KvMetrics metrics)
    {
        var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.Start();
        return listener;
    }

    private sealed class ThrowingAdaptor(KvMetrics? metrics) : AtomicKvAdaptor(metrics)
    {
        public override IAtomicKvStore Namespace(string name) => new ThrowingStore(this, KvKeyLayout.ChildPath(null, name));

        public override ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default) => new(0L);
    }

    // Every core throws synchronously, as a careless backend's would: StoreFailed with the client's I/O error inside.
    private sealed class ThrowingStore(ThrowingAdaptor adaptor, string namespacePath)
        : KvStoreBase(adaptor, namespacePath, KvValueSerializer.Default, TimeProvider.System)
    {
        protected override IAtomicKvStore CreateChild(string namespacePath) => new ThrowingStore(adaptor, namespacePath);

        protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken) => throw Down();

        protected override ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken) => throw Down();

        protected override KvValue GetCore(string key, bool includeDetails) => throw Down();

        protected override void SetCore(string key, KvValue value, TimeSpan? ttl) => throw Down();

        protected override bool DeleteCore(string key) => throw Down();

        protected override bool ExpireCore(string key, TimeSpan ttl) => throw Down();

        protected override IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request) => throw Down();

        private static KvException Down() => StoreFailed("The test store is down.", new IOException("connection refused"));
    }
}
