using System.Globalization;
using Kv.Internal;
using Microsoft.Data.Sqlite;

namespace Kv.Sqlite.Tests;

/// <summary>
/// What the costs in docs/sqlite.md rest on: the statements Kv runs search the primary key or the expiry index
/// (SQLite's own query plans of the very statements), and collection deletes in bounded transactions.
/// </summary>
public sealed class SqliteKvQueryPlanTests : IAsyncLifetime
{
    private readonly SqliteTestBackend _backend = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Theory]
    [InlineData(nameof(SqliteKvStore.GetSql), "SEARCH kv USING PRIMARY KEY (ns=? AND key=?)")]
    [InlineData(nameof(SqliteKvStore.ScanFromSql), "SEARCH kv USING PRIMARY KEY (ns=? AND key>?)")]
    [InlineData(nameof(SqliteKvStore.ScanAfterSql), "SEARCH kv USING PRIMARY KEY (ns=? AND key>?)")]
    [InlineData(nameof(SqliteKvStore.CountSql), "SEARCH kv USING PRIMARY KEY (ns=?)")]
    public async Task Reads_listing_and_count_search_the_primary_key_and_never_scan_or_sort(string statement, string expected)
    {
        string sql = statement switch
        {
            nameof(SqliteKvStore.GetSql) => SqliteKvStore.GetSql,
            nameof(SqliteKvStore.ScanFromSql) => SqliteKvStore.ScanFromSql,
            nameof(SqliteKvStore.ScanAfterSql) => SqliteKvStore.ScanAfterSql,
            _ => SqliteKvStore.CountSql,
        };
        using SqliteKv kv = await LoadedAsync();

        string[] plan = Plan(kv, sql);

        Assert.Equal([expected], plan);
    }

    [Fact]
    public async Task Collection_finds_expired_rows_through_the_expiry_index_and_deletes_by_primary_key()
    {
        using SqliteKv kv = await LoadedAsync();

        string[] plan = Plan(kv, SqliteKv.CollectSql);

        Assert.Equal("SEARCH kv USING PRIMARY KEY (ns=? AND key=?)", plan[0]);
        Assert.Contains(plan, step => step.StartsWith("SEARCH kv USING COVERING INDEX kv_expiry (expires_at", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Collection_deletes_in_transactions_of_at_most_one_batch()
    {
        using SqliteKv kv = await LoadedAsync();
        _backend.Clock.Advance(TimeSpan.FromMinutes(1));

        // Count the writer connection's commits with SQLite's commit hook, registered on the writer thread.
        int commits = 0;
        await kv.Database.WriteAsync(
            "Test",
            (lease, _) =>
            {
                SQLitePCL.raw.sqlite3_commit_hook(lease.Connection.Handle, _ => Interlocked.Increment(ref commits) * 0, null);
                return 0;
            },
            CancellationToken.None);
        Volatile.Write(ref commits, 0);

        // 4,000 expired rows (2,000 in each of two namespaces): four full batches, then one that finds nothing left.
        Assert.Equal(4000, await kv.CollectExpiredAsync());

        Assert.Equal(4000 / SqliteKv.CollectBatch + 1, Volatile.Read(ref commits));
        await kv.Database.WriteAsync(
            "Test",
            (lease, _) =>
            {
                SQLitePCL.raw.sqlite3_commit_hook(lease.Connection.Handle, null, null);
                return 0;
            },
            CancellationToken.None);
        Assert.Equal(4000L, await kv.Namespace("a").CountAsync() + await kv.Namespace("b").CountAsync());
    }

    private async Task<SqliteKv> LoadedAsync()
    {
        SqliteKv kv = _backend.CreateSqliteKv();
        foreach (string name in new[] { "a", "b" })
        {
            IAtomicKvStore store = kv.Namespace(name);
            await store.SetManyAsync(Enumerable.Range(0, 2000).Select(i => KeyValuePair.Create("k" + i.ToString("D5", CultureInfo.InvariantCulture), i)));
            await store.SetManyAsync(Enumerable.Range(0, 2000).Select(i => KeyValuePair.Create("t" + i.ToString("D5", CultureInfo.InvariantCulture), i)), KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));
        }

        return kv;
    }

    // SQLite's plan of the statement, one step a line (the detail column of EXPLAIN QUERY PLAN).
    private static string[] Plan(SqliteKv kv, string sql) =>
        kv.Database.Read("Plan", lease =>
        {
            using SqliteCommand command = lease.Connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + sql;
            using SqliteDataReader reader = command.ExecuteReader();
            var steps = new List<string>();
            while (reader.Read())
            {
                steps.Add(reader.GetString(3));
            }

            return steps.ToArray();
        });
}
