using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Kv.Memory.Tests;

/// <summary>
/// MemoryKv's data API under stress: the entry and byte counts stay exact while every kind of write (single-key,
/// set-many, delete-many, transactions, TTL changes) races the GC, and multi-key writes at the limits neither deadlock
/// nor leak reservations.
/// </summary>
public sealed class MemoryKvStressTests
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 12).Select(i => "k" + i)];

    [Fact]
    public async Task Counts_stay_exact_under_every_kind_of_concurrent_write_and_the_gc()
    {
        var clock = new FakeTimeProvider();

        // Limits far away, so the reservation paths (in-flight counting) are exercised without ever failing.
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 1_000_000, MaxBytes = 1_000_000_000 }, clock);
        IAtomicKvStore[] stores = [kv.Namespace("a"), kv.Namespace("a").Namespace("b"), kv.Namespace("c")];
        using var stop = new CancellationTokenSource();

        Task gc = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                clock.Advance(TimeSpan.FromMilliseconds(3));
                kv.CollectExpired();
                await Task.Yield();
            }
        });

        Task[] writers = [.. Enumerable.Range(0, Environment.ProcessorCount + 2).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (int i = 0; i < 4000; i++)
            {
                IAtomicKvStore store = stores[random.Next(stores.Length)];
                string key = Keys[random.Next(Keys.Length)];
                KvSetOptions? options = random.Next(4) switch
                {
                    0 => KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(random.Next(1, 20))),
                    1 => new KvSetOptions { Metadata = new string('m', random.Next(0, 40)) },
                    2 => new KvSetOptions { Ttl = TimeSpan.FromMilliseconds(random.Next(1, 20)), Metadata = random.Next(100) },
                    _ => null,
                };
                string value = new('v', random.Next(0, 30));
                try
                {
                    switch (random.Next(11))
                    {
                        case 0: await store.SetAsync(key, value, options); break;
                        case 1: await store.DeleteAsync(key); break;
                        case 2: await store.IncrementAsync(key, random.Next(-5, 5), options); break;
                        case 3: await store.SetIfNotExistsAsync(key, value, options); break;
                        case 4: await store.ExpireAsync(key, TimeSpan.FromMilliseconds(random.Next(1, 20))); break;
                        case 5: await store.PersistAsync(key); break;
                        case 6:
                            await store.SetManyAsync(Keys.Where(_ => random.Next(3) == 0).Select(k => new KeyValuePair<string, string>(k, value)), options);
                            break;
                        case 7: await store.DeleteManyAsync(Keys.Where(_ => random.Next(3) == 0)); break;
                        case 8:
                            {
                                IAtomicKvStore other = stores[random.Next(stores.Length)];
                                KvTransaction transaction = store.CreateTransaction()
                                    .Set(store, key, value, options)
                                    .Increment(other, Keys[random.Next(Keys.Length)], 1, options)
                                    .Delete(other, Keys[random.Next(Keys.Length)])
                                    .Set(other, key, random.Next(10));
                                await transaction.CommitAsync();
                                break;
                            }

                        case 9: await store.ListAsync(limit: 5); break;
                        default: await store.GetManyAsync<System.Text.Json.JsonElement>(Keys); break;
                    }
                }
                catch (KvException ex) when (ex.Code is KvErrorCode.NotNumeric or KvErrorCode.Overflow)
                {
                    // An increment on a string: nothing changed.
                }
            }
        }))];

        Task all = Task.WhenAll(writers);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromMinutes(2))));
        await all;
        await stop.CancelAsync();
        await gc;

        // Every expired entry is due now: after one pass, what the store counts is exactly what it holds live.
        kv.CollectExpired();
        long liveEntries = 0;
        long liveBytes = 0;
        foreach (IAtomicKvStore store in stores)
        {
            liveEntries += await store.CountAsync();
            liveBytes += await store.GetStorageSizeAsync();
        }

        Assert.Equal(liveEntries, kv.EntryCount);
        Assert.Equal(liveBytes, kv.ByteCount);
    }

    [Fact]
    public async Task Multi_key_writes_at_the_entry_limit_do_not_deadlock_with_single_key_writers()
    {
        var clock = new FakeTimeProvider();
        var kv = new MemoryKv(new MemoryKvOptions { MaxEntries = 8 }, clock);
        IAtomicKvStore store = kv.Namespace("n");
        int capacityErrors = 0;

        Task[] workers = [.. Enumerable.Range(0, Environment.ProcessorCount + 2).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (int i = 0; i < 3000; i++)
            {
                try
                {
                    string key = "k" + random.Next(16);
                    switch (random.Next(4))
                    {
                        case 0: await store.SetAsync(key, i, KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(2))); break;
                        case 1: await store.SetManyAsync<int>([new(key, i), new("k" + random.Next(16), i)]); break;
                        case 2: await store.CreateTransaction().Set(store, key, i).Delete(store, "k" + random.Next(16)).CommitAsync(); break;
                        default: await store.DeleteAsync(key); break;
                    }
                }
                catch (KvException ex) when (ex.Code == KvErrorCode.CapacityExceeded)
                {
                    Interlocked.Increment(ref capacityErrors);
                }

                if (w == 0 && i % 50 == 0)
                {
                    clock.Advance(TimeSpan.FromMilliseconds(1));
                }
            }
        }))];

        Task all = Task.WhenAll(workers);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromMinutes(2))));
        await all;

        clock.Advance(TimeSpan.FromSeconds(1));
        kv.CollectExpired();
        Assert.InRange(kv.EntryCount, 0, 8);
        Assert.Equal(await store.CountAsync(), kv.EntryCount);
        Assert.Equal(await store.GetStorageSizeAsync(), kv.ByteCount);
    }
}
