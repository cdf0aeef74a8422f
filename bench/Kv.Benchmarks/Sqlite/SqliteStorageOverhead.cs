using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Kv.Benchmarks.Sqlite;

/// <summary>
/// The bytes a <see cref="SqliteKv"/> file takes per entry beyond the key and the value: the console mode
/// <c>dotnet run -c Release -- --sqlite-overhead</c> (<c>./bench.sh --sqlite-overhead</c>).
/// </summary>
/// <remarks>
/// <para>Each scenario loads <see cref="Count"/> entries into a new file (namespace <c>bench</c>, keys
/// <c>user:0000000</c> …, in key order or shuffled), closes Kv, and reads the file's size in use:
/// (<c>page_count</c> − <c>freelist_count</c>) × <c>page_size</c>, less the same figure for a file holding Kv's empty
/// schema. Less the keys' UTF-8 bytes and the stored payloads' bytes, what remains is the overhead: the namespace, the
/// expiry and version columns, SQLite's record headers and cell pointers, B-tree interior pages and the unused space of
/// leaf pages, and, for entries with a TTL, their rows of the expiry index.</para>
/// <para>The floor is a bare SQLite table holding only the same keys and payloads,
/// <c>(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID</c>, loaded in the same order: what SQLite itself costs.</para>
/// </remarks>
public static class SqliteStorageOverhead
{
    /// <summary>Entries per measurement.</summary>
    public const int Count = 200_000;

    private const int Chunk = 1000;

    /// <summary>Measures every scenario and prints a Markdown table.</summary>
    /// <param name="output">Where the table goes.</param>
    public static async Task RunAsync(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var files = new SqliteBenchFiles("overhead");
        string emptyPath = files.File("empty.db");
        await SqliteBenchFiles.CreateKvSchemaAsync(emptyPath);
        long empty = BytesInUse(emptyPath);

        string[] keys = Enumerable.Range(0, Count).Select(i => "user:" + i.ToString("D7", CultureInfo.InvariantCulture)).ToArray();
        int[] sorted = Enumerable.Range(0, Count).ToArray();
        int[] shuffled = [.. sorted];
        new Random(42).Shuffle(shuffled);

        Scenario[] scenarios =
        [
            new("string (33 chars)", i => "value " + i.ToString("D7", CultureInfo.InvariantCulture) + " of 33 characters!", null, sorted),
            new("string (33 chars), TTL", i => "value " + i.ToString("D7", CultureInfo.InvariantCulture) + " of 33 characters!", TimeSpan.FromHours(1), sorted),
            new("string (33 chars), random order", i => "value " + i.ToString("D7", CultureInfo.InvariantCulture) + " of 33 characters!", null, shuffled),
            new("string (33 chars), TTL, random order", i => "value " + i.ToString("D7", CultureInfo.InvariantCulture) + " of 33 characters!", TimeSpan.FromHours(1), shuffled),
            new("long counter", i => (long)i, null, sorted),
            new("record (~150 B JSON)", i => UserProfile.Sample with { Id = i, Name = "User " + i.ToString(CultureInfo.InvariantCulture) }, null, sorted),
        ];

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"SQLite file bytes per entry beyond key and value ({Count:N0} entries per file; (page_count - freelist_count) x page_size, less the empty schema)")).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("| Entries | SqliteKv | Bare SQLite table (floor) | Key + value (avg) |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---:|---:|---:|").ConfigureAwait(false);
        int n = 0;
        foreach (Scenario scenario in scenarios)
        {
            byte[][] payloads = Enumerable.Range(0, Count).Select(i => KvValueSerializer.Default.Serialize(scenario.Create(i)).Payload!).ToArray();
            long data = keys.Sum(k => (long)Encoding.UTF8.GetByteCount(k)) + payloads.Sum(p => (long)p.Length);

            string kvPath = files.File("kv" + n.ToString(CultureInfo.InvariantCulture) + ".db");
            await LoadKvAsync(kvPath, keys, scenario).ConfigureAwait(false);
            double kv = (double)(BytesInUse(kvPath) - empty - data) / Count;

            string floorPath = files.File("floor" + n.ToString(CultureInfo.InvariantCulture) + ".db");
            LoadFloor(floorPath, keys, payloads, scenario.Order);
            double floor = (double)(BytesInUse(floorPath) - data) / Count;
            n++;

            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"| {scenario.Name} | {kv:F1} B | {floor:F1} B | {(double)data / Count:F1} B |")).ConfigureAwait(false);
        }
    }

    private static async Task LoadKvAsync(string path, string[] keys, Scenario scenario)
    {
        // Normal: the file's contents are the same, the load is faster.
        using var kv = new SqliteKv(new SqliteKvOptions { Path = path, Durability = SqliteDurability.Normal });
        IAtomicKvStore store = kv.Namespace(SqliteBenchFiles.Namespace);
        KvSetOptions? options = scenario.Ttl is { } ttl ? KvSetOptions.WithTtl(ttl) : null;
        for (int start = 0; start < Count; start += Chunk)
        {
            await store.SetManyAsync(
                scenario.Order.AsSpan(start, Chunk).ToArray().Select(i => KeyValuePair.Create(keys[i], scenario.Create(i))),
                options).ConfigureAwait(false);
        }
    }

    private static void LoadFloor(string path, string[] keys, byte[][] payloads, int[] order)
    {
        using (SqliteConnection connection = SqliteBenchFiles.OpenRaw(path, "OFF"))
        {
            SqliteBenchFiles.Execute(connection, "CREATE TABLE t (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID");
            using SqliteCommand insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO t (key, value) VALUES ($key, $value)";
            SqliteParameter key = insert.Parameters.Add("$key", SqliteType.Text);
            SqliteParameter value = insert.Parameters.Add("$value", SqliteType.Blob);
            for (int start = 0; start < Count; start += Chunk)
            {
                SqliteBenchFiles.Execute(connection, "BEGIN");
                foreach (int i in order.AsSpan(start, Chunk))
                {
                    key.Value = keys[i];
                    value.Value = payloads[i];
                    insert.ExecuteNonQuery();
                }

                SqliteBenchFiles.Execute(connection, "COMMIT");
            }
        }

        SqliteConnection.ClearAllPools();
    }

    // The bytes of the pages in use, after the log is checkpointed into the file.
    private static long BytesInUse(string path)
    {
        using SqliteConnection connection = SqliteBenchFiles.OpenRaw(path);
        SqliteBenchFiles.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        long pages = SqliteBenchFiles.Scalar(connection, "PRAGMA page_count") - SqliteBenchFiles.Scalar(connection, "PRAGMA freelist_count");
        return pages * SqliteBenchFiles.Scalar(connection, "PRAGMA page_size");
    }

    private sealed record Scenario(string Name, Func<int, object> Create, TimeSpan? Ttl, int[] Order);
}
