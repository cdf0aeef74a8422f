using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kv.Internal;

/// <summary>
/// One database file: the schema, a single writer thread that commits queued writes in groups, and a pool of read
/// connections. In WAL mode readers never wait behind the writer. Every write runs inside one <c>BEGIN IMMEDIATE</c>
/// transaction, which also holds the file's write lock against every other process.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    /// <summary>The schema's number, stored as <c>PRAGMA user_version</c> (docs/sqlite.md).</summary>
    public const int SchemaVersion = 1;

    private const int MaxPooledReaders = 8;

    // How many spins and yields in a row without a new write end the gathering of a group (Gather).
    private const int GatherSpins = 40;

    private static ReadOnlySpan<byte> Magic => "SQLite format 3\0"u8;

    private readonly string _connectionString;
    private readonly int _commandTimeoutSeconds;
    private readonly int _maxWritesPerTransaction;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<SqliteConnectionLease> _readers = [];
    private readonly BlockingCollection<SqliteWrite> _writes = new(new ConcurrentQueue<SqliteWrite>());
    private readonly SqliteConnectionLease _writer;
    private readonly Thread _writerThread;
    private int _pooledReaders;

    private SqliteDatabase(string path, string connectionString, SqliteKvOptions options, ILogger logger)
    {
        Path = path;
        _connectionString = connectionString;
        _logger = logger;
        _maxWritesPerTransaction = options.MaxWritesPerTransaction;
        BusyTimeout = options.BusyTimeout;

        // Microsoft.Data.Sqlite retries a busy statement until its command timeout; SQLite's busy handler waits
        // busy_timeout first. The timeout is at most busy_timeout, so the retry loop stops right after SQLite's wait.
        _commandTimeoutSeconds = Math.Max(1, (int)options.BusyTimeout.TotalSeconds);
        _writer = Open(options.Durability);
        try
        {
            CreateSchema(_writer);
        }
        catch
        {
            _writer.Dispose();
            throw;
        }

        _writerThread = new Thread(WriterLoop) { IsBackground = true, Name = "Kv.Sqlite writer" };
        _writerThread.Start();
        SqliteLog.Opened(logger, path, SchemaVersion, options.Durability);
    }

    public string Path { get; }

    public TimeSpan BusyTimeout { get; }

    /// <summary>
    /// Opens (creating if needed) the database of <paramref name="options"/>. A file that is not a SQLite database, is
    /// truncated, belongs to a newer schema or to another application is refused before anything writes to it.
    /// </summary>
    public static SqliteDatabase Open(SqliteKvOptions options, ILogger logger)
    {
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString ?? string.Empty);
        if (!string.IsNullOrWhiteSpace(options.Path))
        {
            builder.DataSource = options.Path;
        }

        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new KvException(KvErrorCode.StoreOperationFailed, "The SQLite Kv store needs a database file; an in-memory database cannot be shared.");
        }

        string path = System.IO.Path.GetFullPath(builder.DataSource);
        builder.DataSource = path;
        builder.Pooling = false;
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        CheckExistingFile(path, builder);
        string? folder = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        try
        {
            return new SqliteDatabase(path, builder.ToString(), options, logger);
        }
        catch (SqliteException ex)
        {
            throw Failed("Open", ex);
        }
    }

    /// <summary>Queues a write, run under its own savepoint, for the writer thread; the task completes after the
    /// transaction holding it committed.</summary>
    public Task<T> WriteAsync<T>(string operation, Func<SqliteConnectionLease, SqliteWriteContext, T> write, CancellationToken cancellationToken) =>
        WriteAsync(operation, write, singleChange: false, cancellationToken);

    /// <summary>Queues a write for the writer thread; the task completes after the transaction holding it committed.</summary>
    /// <param name="operation">The operation's name, for errors and logs.</param>
    /// <param name="write">The write, run on the writer thread inside the group's transaction.</param>
    /// <param name="singleChange">See <see cref="SqliteWrite.SingleChange"/>; false runs the write under its own savepoint.</param>
    /// <param name="cancellationToken">Cancels the write while it is queued.</param>
    public Task<T> WriteAsync<T>(string operation, Func<SqliteConnectionLease, SqliteWriteContext, T> write, bool singleChange, CancellationToken cancellationToken)
    {
        var item = new SqliteWrite<T>(operation, write, singleChange, cancellationToken);
        try
        {
            _writes.Add(item, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(SqliteKv));
        }

        return item.Task;
    }

    /// <summary>
    /// Queues a write for the writer thread and blocks the calling thread until the transaction holding it committed:
    /// the path of the synchronous API. The work runs on the dedicated writer thread, so the caller waits on an event
    /// that thread sets, not on a task; the write is bounded by <see cref="BusyTimeout"/> like every other.
    /// </summary>
    public T Write<T>(string operation, Func<SqliteConnectionLease, SqliteWriteContext, T> write, bool singleChange)
    {
        using var item = new SqliteBlockingWrite<T>(operation, write, singleChange);
        try
        {
            _writes.Add(item, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(SqliteKv));
        }

        return item.Wait();
    }

    /// <summary>Runs a read on a pooled connection, inside one read transaction (one snapshot).</summary>
    public T Read<T>(string operation, Func<SqliteConnectionLease, T> read)
    {
        SqliteConnectionLease lease = RentReader();
        bool healthy = false;
        try
        {
            T result = read(lease);
            healthy = true;
            return result;
        }
        catch (SqliteException ex)
        {
            SqliteLog.OperationFailed(_logger, operation, ex.SqliteErrorCode);
            throw Failed(operation, ex);
        }
        finally
        {
            ReturnReader(lease, healthy);
        }
    }

    /// <summary>Runs several reads on one pooled connection inside one read transaction, so they see one snapshot.</summary>
    public T ReadSnapshot<T>(string operation, Func<SqliteConnectionLease, T> read) =>
        Read(operation, lease =>
        {
            lease.Execute("BEGIN");
            try
            {
                return read(lease);
            }
            finally
            {
                lease.Execute("COMMIT");
            }
        });

    /// <summary>Copies the database into <paramref name="destination"/> with SQLite's online backup API.</summary>
    public void Backup(string destination)
    {
        string full = System.IO.Path.GetFullPath(destination);
        string? folder = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        Read(KvOperationNames.Backup, lease =>
        {
            using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, Mode = SqliteOpenMode.ReadWriteCreate }.ToString());
            target.Open();
            lease.Connection.BackupDatabase(target);
            return 0;
        });
    }

    public static KvException Failed(string operation, SqliteException ex) => ex.SqliteErrorCode switch
    {
        13 => new KvException(
            KvErrorCode.StoreOperationFailed,
            $"The SQLite operation {operation} failed: the database or disk is full (SQLite error 13). Nothing of this operation was applied.",
            ex),
        5 or 6 => new KvException(
            KvErrorCode.StoreOperationFailed,
            $"The SQLite operation {operation} failed: the database stayed locked by another connection (SQLite error {ex.SqliteErrorCode}) beyond the busy timeout. Nothing of it was applied.",
            ex),
        _ => new KvException(
            KvErrorCode.StoreOperationFailed,
            string.Create(CultureInfo.InvariantCulture, $"The SQLite operation {operation} failed (SQLite error {ex.SqliteErrorCode}, extended {ex.SqliteExtendedErrorCode}); the inner exception is the cause."),
            ex),
    };

    public void Dispose()
    {
        if (_writes.IsAddingCompleted)
        {
            return;
        }

        _writes.CompleteAdding();
        _writerThread.Join();
        _writer.Dispose();
        _writes.Dispose();
        while (_readers.TryTake(out SqliteConnectionLease? reader))
        {
            reader.Dispose();
        }
    }

    private SqliteConnectionLease Open(SqliteDurability durability)
    {
        var connection = new SqliteConnection(_connectionString) { DefaultTimeout = _commandTimeoutSeconds };
        var lease = new SqliteConnectionLease(connection, _commandTimeoutSeconds);
        try
        {
            connection.Open();
            lease.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds}"));
            lease.Execute("PRAGMA journal_mode = WAL");
            lease.Execute(durability == SqliteDurability.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            return lease;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private static void CreateSchema(SqliteConnectionLease lease)
    {
        lease.Execute("BEGIN IMMEDIATE");
        try
        {
            long version = (long)lease.Command("PRAGMA user_version").ExecuteScalar()!;
            if (version > SchemaVersion)
            {
                throw NewerSchema(lease.Connection.DataSource, version);
            }

            if (version == 0)
            {
                lease.Execute(
                    """
                    CREATE TABLE kv (
                        ns TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value BLOB NOT NULL,
                        expires_at INTEGER NULL,
                        version INTEGER NOT NULL,
                        meta BLOB NULL,
                        PRIMARY KEY (ns, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
                    CREATE TABLE kv_version (id INTEGER PRIMARY KEY CHECK (id = 0), v INTEGER NOT NULL);
                    INSERT INTO kv_version (id, v) VALUES (0, 0);
                    """);
                lease.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {SchemaVersion}"));
            }

            lease.Execute("COMMIT");
        }
        catch
        {
            lease.Execute("ROLLBACK");
            throw;
        }
    }

    /// <summary>
    /// Checks an existing, non-empty file from its 100-byte header, then (for a database without Kv's schema) through
    /// a read-only connection, so a refused file is left byte for byte as it was: no WAL, no journal, no schema.
    /// </summary>
    private static void CheckExistingFile(string path, SqliteConnectionStringBuilder builder)
    {
        if (!File.Exists(path))
        {
            return;
        }

        byte[] header = new byte[100];
        long length;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            length = file.Length;
            if (length == 0)
            {
                return;
            }

            file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (length < 100 || !header.AsSpan(0, 16).SequenceEqual(Magic))
        {
            throw new KvException(
                KvErrorCode.StoreOperationFailed,
                $"The file {path} is not a SQLite database (or is truncated before the end of its header); Kv left it unchanged.");
        }

        int pageSize = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(16));
        long pageBytes = pageSize == 1 ? 65536 : pageSize;
        uint changeCounter = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(24));
        uint pageCount = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(28));
        uint validFor = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(92));
        if (changeCounter == validFor && pageCount > 0 && length < pageCount * pageBytes)
        {
            throw new KvException(
                KvErrorCode.StoreOperationFailed,
                string.Create(CultureInfo.InvariantCulture, $"The SQLite database {path} is truncated: its header names {pageCount} pages of {pageBytes} bytes, the file has {length} bytes. Kv left it unchanged."));
        }

        int userVersion = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(60));
        if (userVersion > SchemaVersion)
        {
            throw NewerSchema(path, userVersion);
        }

        if (userVersion == SchemaVersion)
        {
            return;
        }

        var readOnly = new SqliteConnectionStringBuilder(builder.ToString()) { Mode = SqliteOpenMode.ReadOnly };
        try
        {
            using var connection = new SqliteConnection(readOnly.ToString());
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();

            // The header may lag behind the write-ahead log of a database that another connection has just created.
            command.CommandText = "PRAGMA user_version";
            long current = (long)command.ExecuteScalar()!;
            if (current > SchemaVersion)
            {
                throw NewerSchema(path, current);
            }

            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'";
            if (current == 0 && (long)command.ExecuteScalar()! > 0)
            {
                throw new KvException(
                    KvErrorCode.StoreOperationFailed,
                    $"The SQLite database {path} holds tables of another application (user_version 0, no Kv schema); Kv left it unchanged.");
            }
        }
        catch (SqliteException ex)
        {
            throw new KvException(KvErrorCode.StoreOperationFailed, $"The file {path} could not be read as a SQLite database (SQLite error {ex.SqliteErrorCode}); Kv left it unchanged.", ex);
        }
    }

    private static KvException NewerSchema(string path, long version) =>
        new(
            KvErrorCode.StoreOperationFailed,
            string.Create(CultureInfo.InvariantCulture, $"The SQLite database {path} has schema {version} (PRAGMA user_version), newer than schema {SchemaVersion} that this Kv.Sqlite reads; use a newer Kv.Sqlite. Kv left the file unchanged."));

    private SqliteConnectionLease RentReader()
    {
        if (_readers.TryTake(out SqliteConnectionLease? lease))
        {
            Interlocked.Decrement(ref _pooledReaders);
            return lease;
        }

        try
        {
            var connection = new SqliteConnection(_connectionString) { DefaultTimeout = _commandTimeoutSeconds };
            lease = new SqliteConnectionLease(connection, _commandTimeoutSeconds);
            connection.Open();
            lease.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)BusyTimeout.TotalMilliseconds}"));
            return lease;
        }
        catch (SqliteException ex)
        {
            lease?.Dispose();
            throw Failed("Open", ex);
        }
    }

    private void ReturnReader(SqliteConnectionLease lease, bool healthy)
    {
        if (healthy && !_writes.IsAddingCompleted && Interlocked.Increment(ref _pooledReaders) <= MaxPooledReaders)
        {
            _readers.Add(lease);
            return;
        }

        if (healthy && !_writes.IsAddingCompleted)
        {
            Interlocked.Decrement(ref _pooledReaders);
        }

        lease.Dispose();
    }

    // The writer thread: takes every queued write (up to MaxWritesPerTransaction) and commits them in one transaction.
    private void WriterLoop()
    {
        var batch = new List<SqliteWrite>(_maxWritesPerTransaction);
        int previous = 0;
        while (!_writes.IsCompleted)
        {
            if (!_writes.TryTake(out SqliteWrite? first, Timeout.Infinite))
            {
                continue;
            }

            batch.Add(first);
            Gather(batch, previous);
            RunBatch(batch);
            previous = batch.Count;
            batch.Clear();
        }
    }

    /// <summary>
    /// Adds the queued writes to <paramref name="batch"/>. When fewer are queued than the previous group held, waits a
    /// little for the rest: the callers the previous commit released are usually about to write again, and without the
    /// wait the groups alternate between the first caller back alone (paying a whole commit, an fsync under
    /// <see cref="SqliteDurability.Full"/>) and everyone else. The wait is a bounded number of spins and yields without
    /// a new write (no clock), so a caller that does not come back costs at most a few microseconds once.
    /// </summary>
    private void Gather(List<SqliteWrite> batch, int previous)
    {
        int target = Math.Min(previous, _maxWritesPerTransaction);
        var spinner = default(SpinWait);
        while (batch.Count < _maxWritesPerTransaction)
        {
            if (_writes.TryTake(out SqliteWrite? next))
            {
                batch.Add(next);
                spinner.Reset();
                continue;
            }

            if (batch.Count >= target || spinner.Count >= GatherSpins)
            {
                return;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void RunBatch(List<SqliteWrite> batch)
    {
        var context = new SqliteWriteContext();
        try
        {
            _writer.Execute("BEGIN IMMEDIATE");
        }
        catch (SqliteException ex)
        {
            SqliteLog.CommitFailed(_logger, batch.Count, ex.SqliteErrorCode);
            foreach (SqliteWrite write in batch)
            {
                write.Fail(Failed(write.Operation, ex));
            }

            return;
        }

        try
        {
            context.Version = (long)_writer.Command("SELECT v FROM kv_version WHERE id = 0").ExecuteScalar()!;
            long startVersion = context.Version;
            foreach (SqliteWrite write in batch)
            {
                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.Cancel();
                    continue;
                }

                if (write.SingleChange)
                {
                    try
                    {
                        write.Run(_writer, context);
                    }
                    catch (Exception ex) when (ex is not SqliteException || InTransaction())
                    {
                        // Nothing of this write is left to undo (SQLite undid its failed statement); the group goes on.
                        write.Fail(ex is SqliteException sqlite ? Failed(write.Operation, sqlite) : ex);
                    }

                    continue;
                }

                _writer.Execute("SAVEPOINT w");
                try
                {
                    write.Run(_writer, context);
                    _writer.Execute("RELEASE w");
                }
                catch (Exception ex) when (ex is not SqliteException || InTransaction())
                {
                    // This write alone is undone; the others in the group go on.
                    _writer.Execute("ROLLBACK TO w");
                    _writer.Execute("RELEASE w");
                    write.Fail(ex is SqliteException sqlite ? Failed(write.Operation, sqlite) : ex);
                }
            }

            if (context.Version != startVersion)
            {
                SqliteCommand save = _writer.Command("UPDATE kv_version SET v = $v WHERE id = 0");
                save.Set("$v", context.Version);
                save.ExecuteNonQuery();
            }

            _writer.Execute("COMMIT");
        }
        catch (SqliteException ex)
        {
            // The whole group is undone (SQLite may already have rolled it back, e.g. on SQLITE_FULL).
            SqliteLog.CommitFailed(_logger, batch.Count, ex.SqliteErrorCode);
            if (InTransaction())
            {
                try
                {
                    _writer.Execute("ROLLBACK");
                }
                catch (SqliteException)
                {
                    // The transaction is gone either way; the group's failure is reported below.
                }
            }

            foreach (SqliteWrite write in batch)
            {
                write.Fail(Failed(write.Operation, ex));
            }

            return;
        }

        // Only now, after COMMIT returned, does any caller learn its outcome.
        foreach (SqliteWrite write in batch)
        {
            write.Complete();
        }
    }

    private bool InTransaction() => SQLitePCL.raw.sqlite3_get_autocommit(_writer.Connection.Handle) == 0;
}
