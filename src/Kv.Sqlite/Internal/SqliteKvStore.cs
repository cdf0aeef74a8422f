using Microsoft.Data.Sqlite;

namespace Kv.Internal;

/// <summary>
/// The store of one namespace of a <see cref="SqliteKv"/>: the rows of table <c>kv</c> whose <c>ns</c> is the namespace
/// path. Reads run on pooled read connections; writes are queued to the database's writer and committed in groups.
/// Expiry is judged on every read against the application's clock (ticks), whether or not GC has run.
/// </summary>
internal sealed partial class SqliteKvStore : KvStoreBase
{
    private const string Live = "(expires_at IS NULL OR expires_at > $now)";

    // Keys starting with the reserved prefix "__" (limiter state) are never listed, counted or sized: they sort in
    // ['__', '_`'), '`' being the byte after '_'.
    private const string NotReserved = "NOT (key >= '__' AND key < '_`')";
    private const int ScanChunk = 1000;

    /// <summary>A point read of the value: one primary-key lookup.</summary>
    internal const string GetSql = $"SELECT value FROM kv WHERE ns = $ns AND key = $key AND {Live}";

    /// <summary>One chunk of a listing or range scan, from its lower bound on: a walk of the primary key.</summary>
    internal const string ScanFromSql = $"SELECT key, expires_at, meta FROM kv WHERE ns = $ns AND key >= $start AND {Live} ORDER BY key LIMIT $limit";

    /// <summary>The next chunk of a listing or range scan, after the last key of the previous one.</summary>
    internal const string ScanAfterSql = $"SELECT key, expires_at, meta FROM kv WHERE ns = $ns AND key > $start AND {Live} ORDER BY key LIMIT $limit";

    /// <summary>An increment of a live counter in canonical form, without overflow, in place; returns the new value.</summary>
    internal const string IncrementSql =
        $"""
        UPDATE kv SET value = CAST(CAST(CAST(CAST(value AS TEXT) AS INTEGER) + $by AS TEXT) AS BLOB), version = $version
        WHERE ns = $ns AND key = $key AND {Live}
          AND CAST(CAST(CAST(value AS TEXT) AS INTEGER) AS TEXT) = CAST(value AS TEXT)
          AND (($by >= 0 AND CAST(CAST(value AS TEXT) AS INTEGER) <= 9223372036854775807 - $by)
            OR ($by < 0 AND CAST(CAST(value AS TEXT) AS INTEGER) >= (-9223372036854775807 - 1) - $by))
        RETURNING CAST(CAST(value AS TEXT) AS INTEGER)
        """;

    /// <summary>The count of a namespace without filters: a walk of the namespace's range of the primary key.</summary>
    internal const string CountSql = $"SELECT count(*) FROM kv WHERE ns = $ns AND {Live} AND {NotReserved}";

    private readonly SqliteKv _kv;
    private readonly string _ns;

    public SqliteKvStore(SqliteKv kv, string namespacePath)
        : base(kv, namespacePath, kv.Serializer, kv.TimeProvider)
    {
        _kv = kv;
        _ns = namespacePath;
    }

    private SqliteDatabase Db => _kv.Database;

    protected override IAtomicKvStore CreateChild(string namespacePath) => new SqliteKvStore(_kv, namespacePath);

    protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken) =>
        ReadAsync(KvOperationNames.Get, (Store: this, Key: key, Details: includeDetails), static (lease, s) => s.Store.ReadEntry(lease, s.Key, s.Details));

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync(KvOperationNames.Exists, (Store: this, Key: key), static (lease, s) =>
        {
            SqliteCommand command = lease.Command($"SELECT 1 FROM kv WHERE ns = $ns AND key = $key AND {Live}");
            s.Store.Bind(command, s.Key);
            return command.ExecuteScalar() is not null;
        });

    protected override ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken) =>
        ReadAsync(KvOperationNames.GetTimeToLive, (Store: this, Key: key), static (lease, s) =>
        {
            long now = s.Store.Now();
            SqliteCommand command = lease.Command($"SELECT expires_at FROM kv WHERE ns = $ns AND key = $key AND {Live}");
            s.Store.Bind(command, s.Key, now);
            object? result = command.ExecuteScalar();
            if (result is null)
            {
                return KvTimeToLive.Missing;
            }

            if (result is DBNull)
            {
                return KvTimeToLive.Permanent;
            }

            long remaining = (long)result - now;
            long milliseconds = (remaining + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
            return KvTimeToLive.Expiring(TimeSpan.FromMilliseconds(Math.Max(1, milliseconds)));
        });

    protected override ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken) =>
        ReadSnapshotAsync(KvOperationNames.GetMany, (Store: this, Keys: keys), static (lease, s) =>
        {
            var values = new KvValue[s.Keys.Length];
            for (int i = 0; i < s.Keys.Length; i++)
            {
                values[i] = s.Store.ReadEntry(lease, s.Keys[i], includeDetails: false);
            }

            return values;
        });

    protected override ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken) =>
        ReadSnapshotAsync(KvOperationNames.StorageSize, (Store: this, Keys: keys), static (lease, s) =>
        {
            var sizes = new long[s.Keys.Length];
            for (int i = 0; i < s.Keys.Length; i++)
            {
                SqliteCommand command = lease.Command($"SELECT length(value), ifnull(length(meta), 0) FROM kv WHERE ns = $ns AND key = $key AND {Live}");
                s.Store.Bind(command, s.Keys[i]);
                using SqliteDataReader reader = command.ExecuteReader();
                sizes[i] = reader.Read() ? EntrySize(s.Keys[i], reader.GetInt32(0), reader.GetInt32(1)) : -1;
            }

            return sizes;
        });

    protected override ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken) =>
        ReadAsync(KvOperationNames.StorageSize, this, static (lease, store) =>
        {
            // length(CAST(key AS BLOB)) is the key's UTF-8 byte count.
            SqliteCommand command = lease.Command(
                $"SELECT ifnull(sum(length(CAST(key AS BLOB)) + length(value) + ifnull(length(meta), 0)), 0) FROM kv WHERE ns = $ns AND {Live} AND {NotReserved}");
            command.Set("$ns", store._ns);
            command.Set("$now", store.Now());
            return (long)command.ExecuteScalar()!;
        });

    protected override ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        if (request.Pattern is null && request.Prefix.Length == 0 && request.LowerBound is null && request.UpperBound is null)
        {
            return ReadAsync(KvOperationNames.Count, this, static (lease, store) =>
            {
                SqliteCommand command = lease.Command(CountSql);
                command.Set("$ns", store._ns);
                command.Set("$now", store.Now());
                return (long)command.ExecuteScalar()!;
            });
        }

        return ReadSnapshotAsync(KvOperationNames.Count, (Store: this, Request: request), static (lease, s) =>
        {
            long count = 0;
            s.Store.Scan(lease, s.Request, (_, _, _) =>
            {
                count++;
                return true;
            });
            return count;
        });
    }

    protected override ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken) =>
        ReadSnapshotAsync(KvOperationNames.List, (Store: this, Request: request), static (lease, s) => s.Store.List(lease, s.Request));

    protected override ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        WriteVoidAsync(KvOperationNames.Set, (Store: this, Key: key, Value: value, Ttl: ttl), static (lease, context, s) => s.Store.Set(lease, context, s.Key, s.Value, s.Ttl), singleChange: true, cancellationToken);

    protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken) =>
        WriteOneAsync(KvOperationNames.SetIfNotExists, (Store: this, Key: key, Value: value, Ttl: ttl), static (lease, context, s) =>
        {
            long now = s.Store.Now();
            SqliteCommand command = lease.Command(
                """
                INSERT INTO kv (ns, key, value, expires_at, version, meta) VALUES ($ns, $key, $value, $exp, $version, $meta)
                ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, version = excluded.version, meta = excluded.meta
                WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= $now
                """);
            s.Store.Bind(command, s.Key, now);
            command.Set("$value", s.Value.Payload!);
            command.Set("$exp", s.Ttl is { } t ? now + t.Ticks : DBNull.Value);
            command.Set("$version", context.Version + 1);
            command.Set("$meta", (object?)s.Value.Metadata ?? DBNull.Value);
            if (command.ExecuteNonQuery() == 0)
            {
                return false;
            }

            context.NextVersion();
            return true;
        }, cancellationToken);

    protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken) =>
        WriteOneAsync(KvOperationNames.Delete, (Store: this, Key: key), static (lease, _, s) => s.Store.Delete(lease, s.Key), cancellationToken);

    protected override ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken) =>
        WriteAsync(KvOperationNames.DeleteMany, (Store: this, Keys: keys), static (lease, _, s) =>
        {
            long deleted = 0;
            foreach (string key in s.Keys)
            {
                deleted += s.Store.Delete(lease, key) ? 1 : 0;
            }

            return deleted;
        }, cancellationToken);

    protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        WriteOneAsync(KvOperationNames.Expire, (Store: this, Key: key, Ttl: ttl), static (lease, _, s) => s.Store.Expire(lease, s.Key, s.Ttl), cancellationToken);

    protected override ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken) =>
        WriteOneAsync(KvOperationNames.Persist, (Store: this, Key: key), static (lease, _, s) =>
        {
            SqliteCommand command = lease.Command("UPDATE kv SET expires_at = NULL WHERE ns = $ns AND key = $key AND expires_at IS NOT NULL AND expires_at > $now");
            s.Store.Bind(command, s.Key);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);

    protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken) =>
        WriteOneAsync(KvOperationNames.Increment, (Store: this, Key: key, By: by, Ttl: ttl, Meta: metadata), static (lease, context, s) =>
            s.Store.Increment(lease, s.Store._ns, s.Key, s.By, s.Ttl, s.Meta, context.NextVersion()), cancellationToken);

    protected override ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken) =>
        WriteVoidAsync(KvOperationNames.SetMany, (Store: this, Items: items, Ttl: ttl), static (lease, context, s) =>
        {
            long version = context.NextVersion();
            long? deadline = s.Store.Deadline(s.Ttl);
            foreach (KeyValuePair<string, KvValue> item in s.Items)
            {
                s.Store.Upsert(lease, item.Key, item.Value.Payload!, deadline, item.Value.Metadata, version);
            }

            return true;
        }, singleChange: false, cancellationToken);

    protected override ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken) =>
        WriteAsync(KvOperationNames.Commit, (Store: this, Operations: operations), static (lease, context, s) => s.Store.Commit(lease, context, s.Operations), cancellationToken);

    private KvCommitResult Commit(SqliteConnectionLease lease, SqliteWriteContext context, IReadOnlyList<KvTransactionOperation> operations)
    {
        long now = Now();

        // Every check is judged on the state before the transaction, before any write.
        foreach (KvTransactionOperation op in operations)
        {
            if (op.Kind == KvTransactionOperationKind.Check && ReadVersion(lease, op.NamespacePath, op.Key, now) != op.ExpectedVersion)
            {
                return new KvCommitResult(Applied: false, Version: 0);
            }
        }

        if (operations.All(static op => op.Kind == KvTransactionOperationKind.Check))
        {
            return new KvCommitResult(Applied: true, Version: 0);
        }

        // The writes apply in order inside the write's savepoint: a failing increment undoes all of them.
        long version = context.NextVersion();
        foreach (KvTransactionOperation op in operations)
        {
            switch (op.Kind)
            {
                case KvTransactionOperationKind.Set:
                    Upsert(lease, op.NamespacePath, op.Key, op.Value.Payload!, op.Ttl is { } t ? now + t.Ticks : null, op.Value.Metadata, version);
                    break;
                case KvTransactionOperationKind.Delete:
                    SqliteCommand delete = lease.Command("DELETE FROM kv WHERE ns = $ns AND key = $key");
                    delete.Set("$ns", op.NamespacePath);
                    delete.Set("$key", op.Key);
                    delete.ExecuteNonQuery();
                    break;
                case KvTransactionOperationKind.Increment:
                    Increment(lease, op.NamespacePath, op.Key, op.By, op.Ttl, op.Metadata, version);
                    break;
                case KvTransactionOperationKind.Check:
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(operations), op.Kind, "Unknown transaction operation.");
            }
        }

        return new KvCommitResult(Applied: true, version);
    }

    private static long? ReadVersion(SqliteConnectionLease lease, string ns, string key, long now)
    {
        SqliteCommand command = lease.Command($"SELECT version FROM kv WHERE ns = $ns AND key = $key AND {Live}");
        command.Set("$ns", ns);
        command.Set("$key", key);
        command.Set("$now", now);
        return command.ExecuteScalar() is long version ? version : null;
    }

    private long Increment(SqliteConnectionLease lease, string ns, string key, long by, TimeSpan? ttl, byte[]? metadata, long version)
    {
        long now = Now();

        // The common case in one statement: a live counter stored in canonical form (the digits FromInteger writes and
        // TryParseInteger accepts: no sign but '-', no leading zero) that the sum does not overflow. Anything else,
        // a missing key included, matches no row and takes the general path below, which decides and throws exactly.
        SqliteCommand add = lease.Command(IncrementSql);
        add.Set("$ns", ns);
        add.Set("$key", key);
        add.Set("$now", now);
        add.Set("$by", by);
        add.Set("$version", version);
        if (add.ExecuteScalar() is long sum)
        {
            return sum;
        }

        SqliteCommand read = lease.Command(GetSql);
        read.Set("$ns", ns);
        read.Set("$key", key);
        read.Set("$now", now);
        if (read.ExecuteScalar() is byte[] current)
        {
            if (!KvValueSerializer.TryParseInteger(current, out long value))
            {
                throw NotNumeric();
            }

            long next = unchecked(value + by);
            if (((value ^ next) & (by ^ next)) < 0)
            {
                throw Overflow();
            }

            // An existing counter keeps its TTL and metadata.
            SqliteCommand update = lease.Command("UPDATE kv SET value = $value, version = $version WHERE ns = $ns AND key = $key");
            update.Set("$ns", ns);
            update.Set("$key", key);
            update.Set("$value", Serializer.FromInteger(next).Payload!);
            update.Set("$version", version);
            update.ExecuteNonQuery();
            return next;
        }

        Upsert(lease, ns, key, Serializer.FromInteger(by).Payload!, ttl is { } t ? now + t.Ticks : null, metadata, version);
        return by;
    }

    private bool Delete(SqliteConnectionLease lease, string key)
    {
        // The row goes either way; only a live one counts as deleted.
        SqliteCommand command = lease.Command("DELETE FROM kv WHERE ns = $ns AND key = $key RETURNING expires_at");
        Bind(command, key, now: null);
        object? result = command.ExecuteScalar();
        return result is DBNull || (result is long expiresAt && expiresAt > Now());
    }

    private void Upsert(SqliteConnectionLease lease, string key, byte[] payload, long? expiresAt, byte[]? metadata, long version) =>
        Upsert(lease, _ns, key, payload, expiresAt, metadata, version);

    private static void Upsert(SqliteConnectionLease lease, string ns, string key, byte[] payload, long? expiresAt, byte[]? metadata, long version)
    {
        SqliteCommand command = lease.Command(
            """
            INSERT INTO kv (ns, key, value, expires_at, version, meta) VALUES ($ns, $key, $value, $exp, $version, $meta)
            ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, version = excluded.version, meta = excluded.meta
            """);
        command.Set("$ns", ns);
        command.Set("$key", key);
        command.Set("$value", payload);
        command.Set("$exp", expiresAt is { } e ? e : DBNull.Value);
        command.Set("$version", version);
        command.Set("$meta", (object?)metadata ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    private KvValue ReadEntry(SqliteConnectionLease lease, string key, bool includeDetails)
    {
        if (!includeDetails)
        {
            SqliteCommand command = lease.Command(GetSql);
            Bind(command, key);
            return command.ExecuteScalar() is byte[] payload ? new KvValue(payload) : KvValue.Missing;
        }

        SqliteCommand details = lease.Command($"SELECT value, expires_at, meta, version FROM kv WHERE ns = $ns AND key = $key AND {Live}");
        Bind(details, key);
        using SqliteDataReader reader = details.ExecuteReader();
        if (!reader.Read())
        {
            return KvValue.Missing;
        }

        byte[] value = (byte[])reader.GetValue(0);
        DateTimeOffset? expiresAt = reader.IsDBNull(1) ? null : new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero);
        byte[]? meta = reader.IsDBNull(2) ? null : (byte[])reader.GetValue(2);
        return new KvValue(value, decoded: null, expiresAt, meta, reader.GetInt64(3));
    }

    /// <summary>
    /// Walks the namespace's rows in primary-key order (UTF-8 byte order, as <see cref="KvKeyComparer"/>) from the
    /// request's lower bound, in chunks, handing each live, listable key that matches to <paramref name="visit"/> until it
    /// returns false or the range ends: O(log n + rows walked).
    /// </summary>
    private void Scan(SqliteConnectionLease lease, KvListRequest request, Func<string, long?, byte[]?, bool> visit)
    {
        string start = request.Prefix;
        bool inclusive = true;
        if (request.LowerBound is { } lower && KvKeyComparer.Instance.Compare(lower, request.Prefix) >= 0)
        {
            start = lower;
            inclusive = request.LowerInclusive;
        }

        long now = Now();
        while (true)
        {
            SqliteCommand command = lease.Command(inclusive ? ScanFromSql : ScanAfterSql);
            command.Set("$ns", _ns);
            command.Set("$start", start);
            command.Set("$now", now);
            command.Set("$limit", ScanChunk);
            int rows = 0;
            using (SqliteDataReader reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    rows++;
                    string key = reader.GetString(0);
                    start = key;
                    if (!request.IsBelowUpperBound(key)
                        || (!key.StartsWith(request.Prefix, StringComparison.Ordinal) && KvKeyComparer.Instance.Compare(key, request.Prefix) > 0))
                    {
                        return;
                    }

                    if (key.StartsWith(KvKeyRules.ReservedPrefix, StringComparison.Ordinal) || !request.Matches(key))
                    {
                        continue;
                    }

                    long? expiresAt = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                    byte[]? meta = reader.IsDBNull(2) ? null : (byte[])reader.GetValue(2);
                    if (!visit(key, expiresAt, meta))
                    {
                        return;
                    }
                }
            }

            if (rows < ScanChunk)
            {
                return;
            }

            inclusive = false;
        }
    }

    private void Bind(SqliteCommand command, string key, long? now = -1)
    {
        command.Set("$ns", _ns);
        command.Set("$key", key);
        if (now is { } n)
        {
            command.Set("$now", n == -1 ? Now() : n);
        }
    }

    private long Now() => TimeProvider.GetUtcNow().UtcTicks;

    private long? Deadline(TimeSpan? ttl) => ttl is { } t ? Now() + t.Ticks : null;

    private ValueTask<TResult> ReadAsync<TState, TResult>(string operation, TState state, Func<SqliteConnectionLease, TState, TResult> read)
    {
        try
        {
            return new(Db.Read(operation, lease => read(lease, state)));
        }
        catch (Exception ex) when (ex is KvException or ObjectDisposedException)
        {
            return ValueTask.FromException<TResult>(ex);
        }
    }

    private ValueTask<TResult> ReadSnapshotAsync<TState, TResult>(string operation, TState state, Func<SqliteConnectionLease, TState, TResult> read)
    {
        try
        {
            return new(Db.ReadSnapshot(operation, lease => read(lease, state)));
        }
        catch (Exception ex) when (ex is KvException or ObjectDisposedException)
        {
            return ValueTask.FromException<TResult>(ex);
        }
    }

    // A write under its own savepoint (it may change several rows; a failure undoes all of it).
    private ValueTask<TResult> WriteAsync<TState, TResult>(
        string operation, TState state, Func<SqliteConnectionLease, SqliteWriteContext, TState, TResult> write, CancellationToken cancellationToken) =>
        QueueWrite(operation, state, write, singleChange: false, cancellationToken);

    // A write of one change statement, whose own errors come before that statement (SqliteWrite.SingleChange).
    private ValueTask<TResult> WriteOneAsync<TState, TResult>(
        string operation, TState state, Func<SqliteConnectionLease, SqliteWriteContext, TState, TResult> write, CancellationToken cancellationToken) =>
        QueueWrite(operation, state, write, singleChange: true, cancellationToken);

    private ValueTask<TResult> QueueWrite<TState, TResult>(
        string operation, TState state, Func<SqliteConnectionLease, SqliteWriteContext, TState, TResult> write, bool singleChange, CancellationToken cancellationToken)
    {
        try
        {
            return new(Db.WriteAsync(operation, (lease, context) => write(lease, context, state), singleChange, cancellationToken));
        }
        catch (Exception ex) when (ex is KvException or ObjectDisposedException)
        {
            return ValueTask.FromException<TResult>(ex);
        }
    }

    private async ValueTask WriteVoidAsync<TState>(
        string operation, TState state, Func<SqliteConnectionLease, SqliteWriteContext, TState, bool> write, bool singleChange, CancellationToken cancellationToken) =>
        await QueueWrite(operation, state, write, singleChange, cancellationToken).ConfigureAwait(false);
}
