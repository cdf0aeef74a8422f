using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// The cache on SQLite (a file of its own), on a fake clock: SQLite stores expiry instants from Kv's clock. The
/// synchronous methods run on synchronous ADO.NET.
/// </summary>
public sealed class SqliteKvDistributedCacheTests : KvDistributedCacheTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("kv-cache-").FullName;
    private SqliteKv? _kv;

    protected override KvAdaptor Adaptor => _kv ??= new SqliteKv(new SqliteKvOptions { Path = Path.Combine(_directory, "cache.db") }, _clock);

    protected override TimeProvider Clock => _clock;

    protected override Task AdvanceAsync(TimeSpan by, params string[] keys)
    {
        _clock.Advance(by);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        if (_kv is not null)
        {
            await _kv.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
