using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kv.Sqlite.Tests;

/// <summary>
/// A database file in a fresh temporary folder, with a fake clock. Every adaptor it creates is a separate
/// <see cref="SqliteKv"/> on the same file, as separate processes would be.
/// </summary>
internal sealed class SqliteTestBackend : IKvTestBackend
{
    private readonly FakeTimeProvider _clock = new();
    private readonly List<SqliteKv> _adaptors = [];

    public SqliteTestBackend(SqliteDurability durability = SqliteDurability.Full)
    {
        Durability = durability;
        Folder = Directory.CreateTempSubdirectory("kv-sqlite-").FullName;
        Path = System.IO.Path.Combine(Folder, "kv.db");
    }

    public string Folder { get; }

    public string Path { get; }

    public SqliteDurability Durability { get; }

    public TimeProvider TimeProvider => _clock;

    public FakeTimeProvider Clock => _clock;

    public TimeSpan ExpiryPrecision => TimeSpan.Zero;

    public AtomicKvAdaptor CreateAdaptor() => CreateSqliteKv();

    public AtomicKvAdaptor CreateAdaptor(KvValueSerializer serializer) => CreateSqliteKv(serializer: serializer);

    public SqliteKv CreateSqliteKv(Action<SqliteKvOptions>? configure = null, KvValueSerializer? serializer = null)
    {
        var options = new SqliteKvOptions { Path = Path, Durability = Durability };
        configure?.Invoke(options);
        var kv = new SqliteKv(options, _clock, serializer);
        lock (_adaptors)
        {
            _adaptors.Add(kv);
        }

        return kv;
    }

    public ValueTask AdvanceTimeAsync(TimeSpan by)
    {
        _clock.Advance(by);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        lock (_adaptors)
        {
            foreach (SqliteKv kv in _adaptors)
            {
                kv.Dispose();
            }
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a child process the test killed; the temporary folder is left for the OS.
        }

        return ValueTask.CompletedTask;
    }
}
