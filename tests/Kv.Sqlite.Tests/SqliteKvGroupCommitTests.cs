using System.Globalization;

namespace Kv.Sqlite.Tests;

/// <summary>Writes that share one group commit: a failing write fails alone, with nothing of it applied.</summary>
public sealed class SqliteKvGroupCommitTests : IAsyncLifetime
{
    private readonly SqliteTestBackend _backend = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task Failing_writes_queued_with_others_fail_alone_and_the_others_commit()
    {
        using SqliteKv kv = _backend.CreateSqliteKv();
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("text", "abc");
        await store.SetAsync("max", long.MaxValue);

        // Queued together, without awaiting, so the writer takes them in as few groups as it can: single-statement
        // writes (no savepoint of their own), multi-row writes (a savepoint each), and failures of both kinds.
        const int Rounds = 50;
        var writes = new List<Task>();
        var failing = new List<Task>();
        for (int i = 0; i < Rounds; i++)
        {
            string n = i.ToString(CultureInfo.InvariantCulture);
            writes.Add(store.SetAsync("k" + n, i).AsTask());
            failing.Add(store.IncrementAsync("text").AsTask());
            writes.Add(store.IncrementAsync("counter").AsTask());
            failing.Add(store.CreateTransaction().Set(store, "tx" + n, i).Increment(store, "text").CommitAsync().AsTask());
            writes.Add(store.SetManyAsync([KeyValuePair.Create("a" + n, i), KeyValuePair.Create("b" + n, i)]).AsTask());
            failing.Add(store.IncrementAsync("max").AsTask());
        }

        await Task.WhenAll(writes);
        foreach (Task task in failing)
        {
            await Assert.ThrowsAnyAsync<KvException>(() => task);
        }

        Assert.Equal("abc", await store.GetAsync<string>("text"));
        Assert.Equal(Rounds, await store.GetAsync<long>("counter"));
        Assert.Equal(long.MaxValue, await store.GetAsync<long>("max"));
        for (int i = 0; i < Rounds; i++)
        {
            string n = i.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(i, await store.GetAsync<int>("k" + n));
            Assert.Equal(i, await store.GetAsync<int>("a" + n));
            Assert.Equal(i, await store.GetAsync<int>("b" + n));
            Assert.False(await store.ExistsAsync("tx" + n));
        }
    }
}
