using Xunit;

namespace Kv.Memory.Tests;

/// <summary>How MemoryKv's multi-key writes interleave with single-key writes and lock-free reads.</summary>
public sealed class MemoryKvTransactionTests
{
    [Fact]
    public async Task No_reader_sees_half_of_a_transaction()
    {
        var kv = new MemoryKv();
        IAtomicKvStore store = kv.Namespace("n");
        string[] keys = [.. Enumerable.Range(0, 32).Select(i => $"k{i:D2}")];
        await store.SetManyAsync(keys.Select(k => new KeyValuePair<string, long>(k, 0)));
        using var stop = new CancellationTokenSource();
        int violations = 0;
        long reads = 0;

        Task writer = Task.Run(async () =>
        {
            // Until the readers have overlapped many commits, however the threads get scheduled.
            for (long i = 1; i <= 2000 || Interlocked.Read(ref reads) < 2000; i++)
            {
                KvTransaction transaction = store.CreateTransaction();
                foreach (string key in keys)
                {
                    transaction.Set(store, key, i);
                }

                await transaction.CommitAsync();
            }

            await stop.CancelAsync();
        });

        Task[] readers = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // The commit writes k00 first and k31 last: a reader that saw the new k00 and then the old k31 saw
                // half of it. A batch read must see one commit whole.
                long first = await store.GetAsync<long>(keys[0]);
                long last = await store.GetAsync<long>(keys[^1]);
                IReadOnlyDictionary<string, long> all = await store.GetManyAsync<long>(keys);
                if (last < first || all.Values.Distinct().Count() != 1)
                {
                    Interlocked.Increment(ref violations);
                }

                Interlocked.Increment(ref reads);
            }
        }))];

        await Task.WhenAll([writer, .. readers]);

        Assert.Equal(0, violations);
    }

    [Fact]
    public async Task Single_key_increments_and_transaction_increments_interleave_without_losing_any()
    {
        var kv = new MemoryKv();
        IAtomicKvStore store = kv.Namespace("n");

        await Task.WhenAll(
            Task.Run(async () =>
            {
                for (int i = 0; i < 2000; i++)
                {
                    await store.IncrementAsync("counter");
                }
            }),
            Task.Run(async () =>
            {
                for (int i = 0; i < 2000; i++)
                {
                    await store.CreateTransaction().Increment(store, "counter").Increment(store, "other").CommitAsync();
                }
            }),
            Task.Run(async () =>
            {
                for (int i = 0; i < 500; i++)
                {
                    await store.SetManyAsync(new Dictionary<string, int> { ["x"] = i, ["y"] = i });
                    await store.DeleteManyAsync(["x", "y"]);
                }
            }));

        Assert.Equal(4000, await store.GetAsync<long>("counter"));
        Assert.Equal(2000, await store.GetAsync<long>("other"));
        Assert.Equal(2, kv.EntryCount);
    }

    [Fact]
    public async Task A_transaction_past_the_limits_fails_whole_with_CapacityExceeded()
    {
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 2 });
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("a", 1);

        KvException error = await Assert.ThrowsAsync<KvException>(() =>
            store.CreateTransaction().Set(store, "b", 2).Set(store, "c", 3).CommitAsync().AsTask());
        KvException batch = await Assert.ThrowsAsync<KvException>(() =>
            store.SetManyAsync(new Dictionary<string, int> { ["b"] = 2, ["c"] = 3 }).AsTask());

        Assert.Equal(KvErrorCode.CapacityExceeded, error.Code);
        Assert.Equal(KvErrorCode.CapacityExceeded, batch.Code);
        Assert.Equal(1, kv.EntryCount);
        Assert.False(await store.ExistsAsync("b"));

        // Replacing one key and adding another fits: the count is checked for the commit as a whole.
        Assert.True((await store.CreateTransaction().Delete(store, "a").Set(store, "b", 2).Set(store, "c", 3).CommitAsync()).Applied);
        Assert.Equal(2, kv.EntryCount);
    }

    [Fact]
    public async Task Versions_of_one_key_only_increase_under_concurrent_writers()
    {
        var kv = new MemoryKv();
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("k", -1);
        using var stop = new CancellationTokenSource();
        int decreases = 0;

        Task reader = Task.Run(async () =>
        {
            long last = 0;
            while (!stop.IsCancellationRequested)
            {
                long version = (await store.GetEntryAsync<int>("k"))!.Version;
                if (version < last)
                {
                    Interlocked.Increment(ref decreases);
                }

                last = version;
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < 3000; i++)
            {
                await (i % 3 == 0 ? store.IncrementAsync("other").AsTask() : store.SetAsync("k", i).AsTask());
            }
        })));
        await stop.CancelAsync();
        await reader;

        Assert.Equal(0, decreases);
    }

    [Fact]
    public async Task Namespace_size_is_what_the_store_counts_against_MaxBytes()
    {
        var kv = new MemoryKv();
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("a", "value", new KvSetOptions { Metadata = new { m = 1 } });
        await store.SetAsync("b", 12345);

        Assert.Equal(kv.ByteCount, await store.GetStorageSizeAsync());
        Assert.Equal(2, await store.CountAsync());
    }

    [Fact]
    public async Task Checks_and_deletes_in_never_written_namespaces_create_no_tables()
    {
        var kv = new MemoryKv();
        IAtomicKvStore store = kv.Namespace("n");

        KvCommitResult result = await store.CreateTransaction()
            .Check(kv.Namespace("a"), "k", null)
            .Delete(kv.Namespace("b"), "k")
            .Set(store, "k", 1)
            .CommitAsync();

        Assert.True(result.Applied);
        Assert.Equal(1, kv.Engine.TableCount);
        Assert.Equal(1, kv.EntryCount);
    }

    [Fact]
    public async Task A_key_checked_then_set_in_a_never_written_namespace_is_stored()
    {
        // The optimistic pattern of the portable rate-limit defaults: check that the key is missing, then set it, as
        // the first write the namespace ever sees.
        var kv = new MemoryKv();
        IAtomicKvStore store = kv.Namespace("fresh");

        KvCommitResult result = await store.CreateTransaction()
            .Check(store, "k", null)
            .Set(store, "k", "v")
            .CommitAsync();

        Assert.True(result.Applied);
        Assert.Equal("v", await store.GetAsync<string>("k"));
        Assert.Equal(1, kv.EntryCount);
    }
}
