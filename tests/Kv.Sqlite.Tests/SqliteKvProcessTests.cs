using System.Diagnostics;
using System.Globalization;

namespace Kv.Sqlite.Tests;

/// <summary>Crash safety and multi-process exactness, with real child processes on one database file.</summary>
public sealed class SqliteKvProcessTests : IAsyncLifetime
{
    private readonly SqliteTestBackend _backend = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Theory]
    [InlineData(SqliteDurability.Full, 1)]
    [InlineData(SqliteDurability.Full, 2)]
    [InlineData(SqliteDurability.Full, 3)]
    [InlineData(SqliteDurability.Normal, 4)]
    [InlineData(SqliteDurability.Normal, 5)]
    public async Task Every_acknowledged_write_survives_SIGKILL(SqliteDurability durability, int trial)
    {
        // Each trial kills the writer after another number of acknowledgements.
        int killAfter = 50 + (trial * 137);
        using Process child = ChildProcess.Start("write", _backend.Path, durability.ToString(), "1000000");
        var acknowledged = new List<string>();
        while (acknowledged.Count < killAfter && await child.StandardOutput.ReadLineAsync() is { } line)
        {
            acknowledged.Add(line);
        }

        child.Kill();
        await child.WaitForExitAsync();

        // Lines already in the pipe were acknowledged before the kill too.
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            acknowledged.Add(line);
        }

        Assert.True(acknowledged.Count >= killAfter, $"The child stopped early: {await child.StandardError.ReadToEndAsync()}");
        Assert.NotEqual(0, child.ExitCode);
        IAtomicKvStore store = _backend.CreateSqliteKv().Namespace("child");
        foreach (string line in acknowledged.Where(l => l.StartsWith("ack ", StringComparison.Ordinal)))
        {
            string key = line["ack ".Length..];
            Assert.Equal(int.Parse(key[1..], CultureInfo.InvariantCulture), await store.GetAsync<int?>(key));
        }
    }

    [Fact]
    public async Task Increments_from_four_processes_are_exact()
    {
        await CreateDatabaseAsync();
        Process[] children = [.. Enumerable.Range(0, 4).Select(_ => ChildProcess.Start("increment", _backend.Path, "Full", "2000"))];
        try
        {
            foreach (Process child in children)
            {
                await ChildProcess.WaitForLineAsync(child, "done");
                await child.WaitForExitAsync();
                Assert.Equal(0, child.ExitCode);
            }
        }
        finally
        {
            foreach (Process child in children)
            {
                child.Dispose();
            }
        }

        Assert.Equal(8000, await _backend.CreateSqliteKv().Namespace("child").GetAsync<long>("counter"));
    }

    [Fact]
    public async Task Set_if_not_exists_from_four_processes_has_one_winner()
    {
        await CreateDatabaseAsync();
        Process[] children = [.. Enumerable.Range(0, 4).Select(i => ChildProcess.Start("setnx", _backend.Path, "Full", "p" + i.ToString(CultureInfo.InvariantCulture)))];
        var outcomes = new List<string>();
        foreach (Process child in children)
        {
            outcomes.Add((await child.StandardOutput.ReadToEndAsync()).Trim());
            await child.WaitForExitAsync();
            Assert.Equal(0, child.ExitCode);
            child.Dispose();
        }

        Assert.Equal(1, outcomes.Count(o => o == "won"));
        Assert.Equal(3, outcomes.Count(o => o == "lost"));
        string winner = "p" + outcomes.IndexOf("won").ToString(CultureInfo.InvariantCulture);
        Assert.Equal(winner, await _backend.CreateSqliteKv().Namespace("child").GetAsync<string>("winner"));
    }

    [Fact]
    public async Task Read_check_write_transactions_from_four_processes_are_exact()
    {
        // Each child reads the counter with its version, then commits Check(version) + Set(value + 1), retrying on a
        // conflict: a check that let a stale version through would lose an increment.
        await CreateDatabaseAsync();
        string[][] outputs = await ChildProcess.RunTogetherAsync(
            Enumerable.Range(0, 4).Select(_ => new[] { "txincrement", _backend.Path, "Normal", "250" }));

        Assert.All(outputs, output => Assert.StartsWith("done ", output.Last(), StringComparison.Ordinal));
        Assert.Equal(1000, await _backend.CreateSqliteKv().Namespace("child").GetAsync<long>("txcounter"));
    }

    [Theory]
    [InlineData("fixedwindow")]
    [InlineData("tokenbucket")]
    public async Task A_rate_limit_shared_by_four_processes_admits_exactly_the_limit(string kind)
    {
        // 4 × 60 attempts against a limit of 100, every child's clock stopped at the same instant (no window ends, no
        // token comes back however long the test takes).
        await CreateDatabaseAsync();
        string instant = new DateTimeOffset(2026, 12, 6, 12, 0, 30, TimeSpan.Zero).UtcTicks.ToString(CultureInfo.InvariantCulture);
        string[][] outputs = await ChildProcess.RunTogetherAsync(
            Enumerable.Range(0, 4).Select(_ => new[] { "ratelimit", _backend.Path, kind, "60", "100", instant }));

        int[] admitted = [.. outputs.Select(output => int.Parse(output.Single()["admitted ".Length..], CultureInfo.InvariantCulture))];
        Assert.Equal(100, admitted.Sum());
    }

    [Fact]
    public async Task The_distributed_lock_has_one_holder_at_a_time_across_processes_and_its_fencing_tokens_rise()
    {
        // Inside the lock each holder does a read-then-write increment that only mutual exclusion makes exact, and checks
        // its fencing token against the previous holder's.
        await CreateDatabaseAsync();
        string[][] outputs = await ChildProcess.RunTogetherAsync(
            Enumerable.Range(0, 4).Select(_ => new[] { "lock", _backend.Path, "Normal", "50" }));

        string[] lines = [.. outputs.SelectMany(output => output)];
        Assert.DoesNotContain(lines, line => line.StartsWith("violation", StringComparison.Ordinal));
        Assert.All(outputs, output => Assert.Equal("done", output.Last()));
        long[] tokens = [.. lines.Where(l => l.StartsWith("token ", StringComparison.Ordinal)).Select(l => long.Parse(l["token ".Length..], CultureInfo.InvariantCulture))];
        Assert.Equal(200, tokens.Length);
        Assert.Equal(200, tokens.Distinct().Count());
        Assert.All(outputs, output =>
        {
            long[] own = [.. output.Where(l => l.StartsWith("token ", StringComparison.Ordinal)).Select(l => long.Parse(l["token ".Length..], CultureInfo.InvariantCulture))];
            Assert.Equal(own.Order(), own);
        });

        IAtomicKvStore store = _backend.CreateSqliteKv().Namespace("child");
        Assert.Equal(200, await store.GetAsync<long>("count"));
        Assert.Equal(tokens.Max(), await store.GetAsync<long>("last-token"));
    }

    [Fact]
    public async Task A_write_waits_for_a_lock_held_by_another_process_at_most_the_busy_timeout_and_reads_never_wait()
    {
        await CreateDatabaseAsync();
        SqliteKv kv = _backend.CreateSqliteKv(o => o.BusyTimeout = TimeSpan.FromSeconds(1));
        IAtomicKvStore store = kv.Namespace("child");
        await store.SetAsync("before", 1);
        using Process holder = ChildProcess.Start("hold", _backend.Path, "30000");
        try
        {
            await ChildProcess.WaitForLineAsync(holder, "holding");

            // WAL: a read does not wait behind the other process's write lock.
            Assert.Equal(1, await store.GetAsync<int>("before"));
            KvException failure = await Assert.ThrowsAsync<KvException>(async () => await store.SetAsync("during", 2));
            Assert.Equal(KvErrorCode.StoreOperationFailed, failure.Code);
            Assert.Contains("locked", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync();
        }

        Assert.False(await store.ExistsAsync("during"));
        await store.SetAsync("after", 3);
        Assert.Equal(3, await store.GetAsync<int>("after"));
    }

    private async Task CreateDatabaseAsync()
    {
        using SqliteKv kv = new(new SqliteKvOptions { Path = _backend.Path });
        await kv.PingAsync();
    }
}
