using Kv.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kv;

/// <summary>
/// The SQLite Kv backend, on Microsoft.Data.Sqlite: a persistent store in one file, shared by every process on the
/// machine that opens it. Same contract as every Kv backend.
/// </summary>
/// <remarks>
/// <para>One table holds every entry, keyed by namespace path and key (see docs/sqlite.md). The file runs in WAL mode:
/// reads never wait behind writes. Writes go to one writer thread that commits every write queued at that moment in one
/// transaction (group commit); a write's task completes only after its transaction has committed, with the durability
/// of <see cref="SqliteKvOptions.Durability"/>.</para>
/// <para>Every atomic operation (increment, set-if-not-exists, transaction with version checks, rate-limit decision)
/// runs inside one <c>BEGIN IMMEDIATE</c> transaction, which holds the file's write lock, so it is exact across
/// processes. A write that waits longer than <see cref="SqliteKvOptions.BusyTimeout"/> for the lock, a full disk and
/// every other failure of SQLite throw <see cref="KvException"/> with <see cref="KvErrorCode.StoreOperationFailed"/>.</para>
/// </remarks>
public sealed class SqliteKv : AtomicKvAdaptor, IAsyncDisposable, IDisposable
{
    private readonly SqliteKvOptions _options;
    private readonly ILogger _logger;
    private readonly object _openLock = new();
    private SqliteDatabase? _database;
    private int _disposed;

    /// <summary>Creates an adaptor. It opens (and if needed creates) the database file on first use, not here.</summary>
    /// <param name="options">The SQLite options; validated now. They are read once: later changes have no effect.</param>
    /// <param name="timeProvider">The clock expiry instants are placed on; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="serializer">The value serializer; <see langword="null"/> for <see cref="KvValueSerializer.Default"/>.</param>
    /// <param name="loggerFactory">Creates the adaptor's logger; <see langword="null"/> for no logging.</param>
    /// <param name="metrics">The metrics its stores record (see <see cref="KvAdaptor.Metrics"/>); <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteKv(SqliteKvOptions options, TimeProvider? timeProvider = null, KvValueSerializer? serializer = null, ILoggerFactory? loggerFactory = null, KvMetrics? metrics = null)
        : base(metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] problems = [.. options.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = new SqliteKvOptions
        {
            Path = options.Path,
            ConnectionString = options.ConnectionString,
            GcInterval = options.GcInterval,
            Durability = options.Durability,
            BusyTimeout = options.BusyTimeout,
            MaxWritesPerTransaction = options.MaxWritesPerTransaction,
        };
        TimeProvider = timeProvider ?? TimeProvider.System;
        Serializer = serializer ?? KvValueSerializer.Default;
        _logger = loggerFactory?.CreateLogger<SqliteKv>() ?? NullLogger<SqliteKv>.Instance;
    }

    /// <summary>What a completed write survives (<see cref="SqliteKvOptions.Durability"/>).</summary>
    public SqliteDurability Durability => _options.Durability;

    /// <summary>How often the collection service deletes expired rows (<see cref="SqliteKvOptions.GcInterval"/>).</summary>
    public override TimeSpan? CollectionInterval => _options.GcInterval;

    internal TimeProvider TimeProvider { get; }

    internal KvValueSerializer Serializer { get; }

    internal ILogger Logger => _logger;

    /// <summary>The open database; opened on first use. A failed open is tried again by the next call.</summary>
    internal SqliteDatabase Database
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (Volatile.Read(ref _database) is { } database)
            {
                return database;
            }

            lock (_openLock)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                return _database ??= SqliteDatabase.Open(_options, _logger);
            }
        }
    }

    /// <inheritdoc />
    public override IAtomicKvStore Namespace(string name)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new SqliteKvStore(this, KvKeyLayout.ChildPath(null, name));
    }

    /// <summary>How many expired rows one transaction of <see cref="CollectExpiredAsync"/> deletes at most.</summary>
    internal const int CollectBatch = 1000;

    /// <summary>One batch of collection: the first expired rows in expiry order, found through the index kv_expiry.</summary>
    internal const string CollectSql =
        "DELETE FROM kv WHERE (ns, key) IN (SELECT ns, key FROM kv WHERE expires_at IS NOT NULL AND expires_at <= $now ORDER BY expires_at LIMIT $limit)";

    /// <summary>
    /// Deletes expired rows through the index on expiry, in transactions of at most 1,000 rows each, so the write lock
    /// is never held for long; a pass costs in proportion to what expired. Reads never see expired entries either way.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation between batches.</param>
    /// <returns>How many expired entries were deleted.</returns>
    public override async ValueTask<long> CollectExpiredAsync(CancellationToken cancellationToken = default)
    {
        long total = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long now = TimeProvider.GetUtcNow().UtcTicks;
            int deleted = await Database.WriteAsync(
                KvOperationNames.CollectExpired,
                (lease, _) =>
                {
                    var command = lease.Command(CollectSql);
                    command.Set("$now", now);
                    command.Set("$limit", CollectBatch);
                    return command.ExecuteNonQuery();
                },
                singleChange: true,
                cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < CollectBatch)
            {
                SqliteLog.Collected(_logger, total);
                return total;
            }
        }
    }

    /// <summary>Runs <c>SELECT 1</c> on a read connection (the Kv health check uses it); opens the file if needed.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when SQLite answered.</returns>
    /// <exception cref="KvException">The database could not be opened or read (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    public override ValueTask PingAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            Database.Read(KvOperationNames.Ping, static lease => lease.Command("SELECT count(*) FROM kv_version").ExecuteScalar());
            return ValueTask.CompletedTask;
        }
        catch (KvException ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>
    /// Copies the whole database into the file <paramref name="path"/> with SQLite's online backup API, while the
    /// application keeps reading and writing. The copy is one consistent snapshot, a complete database that
    /// <see cref="SqliteKv"/> (or <c>sqlite3</c>) opens as it is. An existing file at <paramref name="path"/> is
    /// overwritten.
    /// </summary>
    /// <param name="path">The backup file; its folder is created if needed.</param>
    /// <param name="cancellationToken">Cancels the backup before it starts.</param>
    /// <returns>A task that completes when the copy is complete.</returns>
    /// <exception cref="KvException">The backup failed (<see cref="KvErrorCode.StoreOperationFailed"/>).</exception>
    public Task BackupAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        cancellationToken.ThrowIfCancellationRequested();
        SqliteDatabase database = Database;
        return Task.Run(() => database.Backup(path), cancellationToken);
    }

    /// <summary>Waits for the queued writes, then closes the database file.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits for the queued writes, then closes the database file.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            lock (_openLock)
            {
                _database?.Dispose();
            }
        }
    }
}
