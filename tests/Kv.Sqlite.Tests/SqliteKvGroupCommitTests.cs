using System.Globalization;

namespace Kv.Sqlite.Tests;

/// <summary>Writes that share one group commit: a failing write fails alone, with nothing of it applied. And the
/// increment's one-statement path against the general one, on stored bytes the public API cannot write.</summary>
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

    [Theory]
    [InlineData("5", 1, "6")]
    [InlineData("5", -10, "-5")]
    [InlineData("-1", 1, "0")]
    [InlineData("9223372036854775806", 1, "9223372036854775807")]
    [InlineData("-9223372036854775808", 1, "-9223372036854775807")]
    [InlineData("-9223372036854775807", -1, "-9223372036854775808")]
    [InlineData("9223372036854775807", 1, null)]
    [InlineData("-9223372036854775808", -1, null)]
    [InlineData("007", 1, null)]
    [InlineData("-0", 1, null)]
    [InlineData("1.5", 1, null)]
    [InlineData("1e3", 1, null)]
    [InlineData(" 5", 1, null)]
    [InlineData("5 ", 1, null)]
    [InlineData("9223372036854775808", 1, null)]
    [InlineData("\"5\"", 1, null)]
    public async Task An_increment_of_stored_bytes_agrees_with_memory(string stored, long by, string? expected)
    {
        using SqliteKv kv = _backend.CreateSqliteKv();
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("c", 0);
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(stored);
        await kv.Database.WriteAsync(
            "Test",
            (lease, _) =>
            {
                using var command = lease.Connection.CreateCommand();
                command.CommandText = "UPDATE kv SET value = $v WHERE key = 'c'";
                command.Parameters.AddWithValue("$v", bytes);
                return command.ExecuteNonQuery();
            },
            CancellationToken.None);

        // MemoryKv holds the same bytes through its own parser: the reference for what is a number.
        bool memoryParses = KvValueSerializer.TryParseInteger(bytes, out long memoryValue);
        if (expected is null)
        {
            KvException failure = await Assert.ThrowsAsync<KvException>(async () => await store.IncrementAsync("c", by));
            Assert.Equal(memoryParses ? KvErrorCode.Overflow : KvErrorCode.NotNumeric, failure.Code);
            Assert.Equal(bytes, kv.Database.Read("Test", lease => (byte[])lease.Command("SELECT value FROM kv WHERE key = 'c'").ExecuteScalar()!));
        }
        else
        {
            Assert.True(memoryParses);
            Assert.Equal(long.Parse(expected, CultureInfo.InvariantCulture), await store.IncrementAsync("c", by));
            Assert.Equal(memoryValue + by, await store.GetAsync<long>("c"));
        }
    }
}
