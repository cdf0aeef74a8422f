using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Kv.Benchmarks.Sqlite;

/// <summary>
/// The database files of the SQLite benchmarks: a temporary folder on the same file system for Kv and for the raw
/// Microsoft.Data.Sqlite baselines, and raw connections set up the way <see cref="SqliteKv"/> sets up its own.
/// </summary>
internal sealed class SqliteBenchFiles : IDisposable
{
    /// <summary>The namespace every benchmark writes under; the raw baselines use the same <c>ns</c> value.</summary>
    public const string Namespace = "bench";

    public SqliteBenchFiles(string name)
    {
        Folder = Path.Combine(Path.GetTempPath(), "kv-bench-" + name + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string File(string name) => Path.Combine(Folder, name);

    /// <summary>
    /// Creates Kv's schema in a new file by opening it with <see cref="SqliteKv"/> (so a raw baseline writes to exactly
    /// the table Kv writes to), then closes it.
    /// </summary>
    public static async Task CreateKvSchemaAsync(string path)
    {
        using var kv = new SqliteKv(new SqliteKvOptions { Path = path });
        await kv.PingAsync().ConfigureAwait(false);
    }

    /// <summary>A raw connection with WAL and the given <c>synchronous</c> level, as SqliteKv opens its writer.</summary>
    public static SqliteConnection OpenRaw(string path, string synchronous = "FULL")
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 5000");
        Execute(connection, "PRAGMA journal_mode = WAL");
        Execute(connection, "PRAGMA synchronous = " + synchronous);
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
