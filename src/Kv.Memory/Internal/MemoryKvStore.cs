using System.Collections.Concurrent;

namespace Kv.Internal;

/// <summary>
/// The store of one namespace of a <see cref="MemoryKv"/>. Each namespace has its own dictionary, keyed by
/// the key as given, so namespaces cannot meet and a read builds no physical key string.
/// </summary>
/// <remarks>
/// Failures found after the arguments were checked (NotNumeric, Overflow, CapacityExceeded) are returned as faulted
/// tasks, never thrown by the call, so callers see them the same way as from a remote backend.
/// </remarks>
internal sealed partial class MemoryKvStore : KvStoreBase
{
    private readonly MemoryKv _kv;
    private readonly MemoryEngine _engine;

    // The namespace's table, resolved on first use. A namespace that was only ever read has none: reads of a
    // never-written namespace allocate nothing. Tables are never removed, so caching one is safe.
    private ConcurrentDictionary<string, MemoryEntry>? _table;

    public MemoryKvStore(MemoryKv kv, string namespacePath, KvValueSerializer serializer)
        : base(namespacePath, serializer, kv.Engine.TimeProvider)
    {
        _kv = kv;
        _engine = kv.Engine;
    }

    // The table to write to, created on the namespace's first write.
    private ConcurrentDictionary<string, MemoryEntry> Table => _table ??= _engine.GetOrAddTable(NamespacePath);

    // The table to read from, or null while the namespace was never written.
    private ConcurrentDictionary<string, MemoryEntry>? ExistingTable => _table ??= _engine.FindTable(NamespacePath);

    protected override object Backend => _kv;

    protected override IAtomicKvStore CreateChild(string namespacePath) => new MemoryKvStore(_kv, namespacePath, Serializer);

    protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeDetails, CancellationToken cancellationToken) =>
        new(GetCore(key, includeDetails));

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        new(TryGetLiveConsistent(key, out _));

    protected override ValueTask<KvTimeToLive> GetTimeToLiveCoreAsync(string key, CancellationToken cancellationToken)
    {
        if (!TryGetLiveConsistent(key, out MemoryEntry? entry))
        {
            return new(KvTimeToLive.Missing);
        }

        if (!entry.HasTtl)
        {
            return new(KvTimeToLive.Permanent);
        }

        // Kept to the millisecond, rounded up: a live key never reports zero.
        long remaining = entry.ExpiresAtTicks - Now();
        long milliseconds = (remaining + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        return new(KvTimeToLive.Expiring(TimeSpan.FromMilliseconds(Math.Max(1, milliseconds))));
    }

    protected override ValueTask<KvValue[]> GetManyCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        var values = new KvValue[keys.Length];
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            return new(values);
        }

        // All keys are read within one stamp, so the batch never shows half of a transaction.
        while (true)
        {
            long stamp = _engine.BeginRead();
            for (int i = 0; i < keys.Length; i++)
            {
                values[i] = TryGetLive(table, keys[i], out MemoryEntry? entry) ? entry.ToValue(includeDetails: false) : KvValue.Missing;
            }

            if (_engine.EndRead(stamp))
            {
                return new(values);
            }
        }
    }

    protected override ValueTask<long[]> GetKeySizesCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        var sizes = new long[keys.Length];
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        while (true)
        {
            long stamp = _engine.BeginRead();
            for (int i = 0; i < keys.Length; i++)
            {
                sizes[i] = table is not null && TryGetLive(table, keys[i], out MemoryEntry? entry) ? entry.SizeWith(keys[i]) : -1;
            }

            if (_engine.EndRead(stamp))
            {
                return new(sizes);
            }
        }
    }

    protected override ValueTask<long> GetNamespaceSizeCoreAsync(CancellationToken cancellationToken) =>
        new(ReadLive(static (key, entry, total) => total + entry.SizeWith(key), 0L));

    protected override ValueTask<long> CountCoreAsync(KvListRequest request, CancellationToken cancellationToken) =>
        new(ReadLive((key, _, count) => request.Matches(key) ? count + 1 : count, 0L));

    protected override ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken)
    {
        // O(n log limit): one pass over the namespace keeps the `limit` smallest matching keys in a max-heap.
        var heap = new PriorityQueue<(string Key, MemoryEntry Entry), string>(request.Limit + 1, Comparer<string>.Create((a, b) => KvKeyComparer.Instance.Compare(b, a)));
        ReadLive(
            (key, entry, _) =>
            {
                if (request.Matches(key))
                {
                    heap.Enqueue((key, entry), key);
                    if (heap.Count > request.Limit)
                    {
                        heap.Dequeue();
                    }
                }

                return 0;
            },
            0);

        var keys = new KvKeyInfo[heap.Count];
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            (string key, MemoryEntry entry) = heap.Dequeue();
            keys[i] = new KvKeyInfo(key, entry.HasTtl ? new DateTimeOffset(entry.ExpiresAtTicks, TimeSpan.Zero) : null, ParseMetadata(entry.Metadata));
        }

        return new(keys);
    }

    protected override ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        try
        {
            SetCore(key, value, ttl);
            return default;
        }
        catch (KvException ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        _engine.EnterWrite();
        try
        {
            return new(SetIfNotExists(key, value, ttl));
        }
        catch (KvException ex)
        {
            return ValueTask.FromException<bool>(ex);
        }
        finally
        {
            _engine.ExitWrite();
        }
    }

    protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken)
    {
        _engine.EnterWrite();
        try
        {
            return new(Increment(key, by, ttl, metadata));
        }
        catch (KvException ex)
        {
            return ValueTask.FromException<long>(ex);
        }
        finally
        {
            _engine.ExitWrite();
        }
    }

    protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken) => new(DeleteCore(key));

    protected override ValueTask<long> DeleteManyCoreAsync(string[] keys, CancellationToken cancellationToken)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            return new(0L);
        }

        // Atomic as a whole, like every multi-key write: no reader sees some of the keys gone and others not.
        return new(_engine.RunExclusive(
            (Store: this, Table: table, Keys: keys),
            static s => s.Keys.LongCount(k => s.Store.Delete(s.Table, k))));
    }

    protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        new(ExpireCore(key, ttl));

    protected override ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken) =>
        new(ChangeExpiry(key, static _ => 0, requireTtl: true));

    protected override ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        try
        {
            ConcurrentDictionary<string, MemoryEntry> table = Table;
            _engine.RunExclusive(
                (Store: this, Table: table, Items: items, Ttl: ttl),
                static s =>
                {
                    long version = s.Store._engine.NextVersion();
                    long deadline = s.Ttl is null ? 0 : Deadline(s.Store.Now(), s.Ttl);
                    var writes = new PendingWrite[s.Items.Length];
                    for (int i = 0; i < s.Items.Length; i++)
                    {
                        writes[i] = new(s.Table, s.Items[i].Key, NewEntry(s.Items[i].Value, deadline, s.Items[i].Value.Metadata, version));
                    }

                    s.Store.ApplyAlone(writes);
                    return 0;
                });
            return default;
        }
        catch (KvException ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    protected override ValueTask<KvCommitResult> CommitCoreAsync(IReadOnlyList<KvTransactionOperation> operations, CancellationToken cancellationToken)
    {
        try
        {
            return new(_engine.RunExclusive((Store: this, Operations: operations), static s => s.Store.Commit(s.Operations)));
        }
        catch (KvException ex)
        {
            return ValueTask.FromException<KvCommitResult>(ex);
        }
    }

    private void Set(string key, KvValue value, TimeSpan? ttl)
    {
        ConcurrentDictionary<string, MemoryEntry> table = Table;
        long now = ttl is null ? 0 : Now();
        long deadline = Deadline(now, ttl);
        while (true)
        {
            // The version is taken after the current entry is read (and again on each retry), so a key's versions
            // only ever increase.
            if (table.TryGetValue(key, out MemoryEntry? old))
            {
                if (TryReplace(table, key, old, NewEntry(value, deadline, value.Metadata, _engine.NextVersion()), now))
                {
                    return;
                }
            }
            else if (TryAdd(table, key, NewEntry(value, deadline, value.Metadata, _engine.NextVersion())))
            {
                return;
            }
        }
    }

    private bool SetIfNotExists(string key, KvValue value, TimeSpan? ttl)
    {
        ConcurrentDictionary<string, MemoryEntry> table = Table;

        // The clock is read only when a TTL is involved (this write's or the stored entry's), and at most once.
        long? clock = null;
        while (true)
        {
            if (table.TryGetValue(key, out MemoryEntry? old))
            {
                if (!old.HasTtl || !old.IsExpiredAt(Clock()))
                {
                    return false;
                }

                if (TryReplace(table, key, old, Create(), Clock()))
                {
                    return true;
                }
            }
            else if (TryAdd(table, key, Create()))
            {
                return true;
            }
        }

        long Clock() => clock ??= Now();

        MemoryEntry Create() => NewEntry(value, ttl is null ? 0 : Deadline(Clock(), ttl), value.Metadata, _engine.NextVersion());
    }

    private bool Delete(ConcurrentDictionary<string, MemoryEntry> table, string key)
    {
        while (table.TryGetValue(key, out MemoryEntry? old))
        {
            if (table.TryRemove(new KeyValuePair<string, MemoryEntry>(key, old)))
            {
                _engine.Release(removesEntry: true, old.SizeWith(key));
                return !old.HasTtl || !old.IsExpiredAt(Now());
            }
        }

        return false;
    }

    // Replaces a live entry's expiry (0: permanent). With requireTtl, only an entry that has a TTL counts (persist).
    private bool ChangeExpiry(string key, Func<long, long> deadline, bool requireTtl)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            return false;
        }

        _engine.EnterWrite();
        try
        {
            long now = Now();
            while (table.TryGetValue(key, out MemoryEntry? old) && !old.IsExpiredAt(now) && (old.HasTtl || !requireTtl))
            {
                // The entry keeps its size, so this never needs room and never fails.
                if (TryReplace(table, key, old, old.WithExpiry(deadline(now)), now))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            _engine.ExitWrite();
        }
    }

    private long Increment(string key, long by, TimeSpan? ttl, byte[]? metadata)
    {
        ConcurrentDictionary<string, MemoryEntry> table = Table;

        // The clock is read only when a TTL is involved (the window's or the counter's), and at most once: a
        // permanent counter costs no clock read.
        long? clock = null;
        while (true)
        {
            bool exists = table.TryGetValue(key, out MemoryEntry? old);
            if (exists && (!old!.HasTtl || !old.IsExpiredAt(Clock())))
            {
                long next = Add(old, by);

                // An existing counter keeps its TTL and metadata (and has read the clock if it has a TTL).
                MemoryEntry updated = NewEntry(Serializer.FromInteger(next), old.ExpiresAtTicks, old.Metadata, _engine.NextVersion());
                if (TryReplace(table, key, old, updated, clock ?? 0))
                {
                    return next;
                }

                continue;
            }

            MemoryEntry created = NewEntry(Serializer.FromInteger(by), ttl is null ? 0 : Deadline(Clock(), ttl), metadata, _engine.NextVersion());
            if (exists ? TryReplace(table, key, old!, created, Clock()) : TryAdd(table, key, created))
            {
                return by;
            }
        }

        long Clock() => clock ??= Now();
    }

    // The increment of a stored value, as Redis's INCRBY sees it: always the payload, never a decoded copy (custom
    // options can write numbers as strings).
    private static long Add(MemoryEntry entry, long by)
    {
        if (!KvValueSerializer.TryParseInteger(entry.Payload, out long current))
        {
            throw NotNumeric();
        }

        long next = unchecked(current + by);
        return ((current ^ next) & (by ^ next)) < 0 ? throw Overflow() : next;
    }

    // Runs alone (RunExclusive). Checks see the state before the transaction; writes then apply in order to a working
    // view, where a failing increment throws before anything is stored.
    private KvCommitResult Commit(IReadOnlyList<KvTransactionOperation> operations)
    {
        long now = Now();
        var view = new Dictionary<(string Path, string Key), PendingWrite>();
        foreach (KvTransactionOperation op in operations)
        {
            if (op.Kind == KvTransactionOperationKind.Check && Current(op, now).Entry?.Version != op.ExpectedVersion)
            {
                return new KvCommitResult(Applied: false, Version: 0);
            }
        }

        // A transaction of checks alone writes nothing, so no entry gets a version (as on Redis, and as an empty one).
        if (operations.All(static op => op.Kind == KvTransactionOperationKind.Check))
        {
            return new KvCommitResult(Applied: true, Version: 0);
        }

        long version = _engine.NextVersion();
        foreach (KvTransactionOperation op in operations)
        {
            PendingWrite current = Current(op, now);
            MemoryEntry? next = op.Kind switch
            {
                KvTransactionOperationKind.Check => current.Entry,
                KvTransactionOperationKind.Set => NewEntry(op.Value, Deadline(now, op.Ttl), op.Value.Metadata, version),
                KvTransactionOperationKind.Delete => null,
                KvTransactionOperationKind.Increment => current.Entry is { } counter
                    ? NewEntry(Serializer.FromInteger(Add(counter, op.By)), counter.ExpiresAtTicks, counter.Metadata, version)
                    : NewEntry(Serializer.FromInteger(op.By), Deadline(now, op.Ttl), op.Metadata, version),
                _ => throw new ArgumentOutOfRangeException(nameof(operations), op.Kind, "Unknown transaction operation."),
            };

            // A namespace gets its table only when the transaction stores something in it.
            view[(op.NamespacePath, op.Key)] = current with
            {
                Entry = next,
                Table = current.Table ?? (next is null ? null : _engine.GetOrAddTable(op.NamespacePath)),
            };
        }

        ApplyAlone([.. view.Values.Where(w => w.Changed)]);
        return new KvCommitResult(Applied: true, version);

        // The key's entry as the transaction sees it so far: its own earlier writes, else the live stored entry.
        PendingWrite Current(KvTransactionOperation op, long now)
        {
            if (view.TryGetValue((op.NamespacePath, op.Key), out PendingWrite pending))
            {
                return pending;
            }

            ConcurrentDictionary<string, MemoryEntry>? table = _engine.FindTable(op.NamespacePath);
            MemoryEntry? live = table is not null && table.TryGetValue(op.Key, out MemoryEntry? e) && !e.IsExpiredAt(now) ? e : null;
            return new PendingWrite(table, op.Key, live) { Original = live };
        }
    }

    // Stores a multi-key write while it runs alone: first the capacity check for the whole write (collecting expired
    // entries once if needed), then every entry. Only the GC runs meanwhile, and it only removes expired entries.
    private void ApplyAlone(PendingWrite[] writes)
    {
        if (!Fits(writes))
        {
            _engine.CollectExpired();
            if (!Fits(writes))
            {
                throw _engine.CapacityExceeded();
            }
        }

        foreach (PendingWrite write in writes)
        {
            while (true)
            {
                bool exists = write.Target.TryGetValue(write.Key, out MemoryEntry? physical);
                if (write.Entry is null)
                {
                    if (!exists || write.Target.TryRemove(new KeyValuePair<string, MemoryEntry>(write.Key, physical!)))
                    {
                        if (exists)
                        {
                            _engine.Release(removesEntry: true, physical!.SizeWith(write.Key));
                        }

                        break;
                    }
                }
                else if (exists ? write.Target.TryUpdate(write.Key, write.Entry, physical!) : write.Target.TryAdd(write.Key, write.Entry))
                {
                    _engine.Adjust(exists ? 0 : 1, write.Entry.SizeWith(write.Key) - (exists ? physical!.SizeWith(write.Key) : 0));
                    if (write.Entry.HasTtl)
                    {
                        _engine.AddExpiry(write.Target, write.Key, write.Entry.ExpiresAtTicks);
                    }

                    break;
                }

                // Only the GC changes entries now (it removed an expired one): look again.
            }
        }
    }

    // Whether the store has room for a multi-key write: how many entries and bytes it adds, from what is stored
    // physically now (one pass over the write).
    private bool Fits(PendingWrite[] writes)
    {
        long entries = 0;
        long bytes = 0;
        foreach (PendingWrite write in writes)
        {
            if (write.Target.TryGetValue(write.Key, out MemoryEntry? physical))
            {
                entries--;
                bytes -= physical.SizeWith(write.Key);
            }

            if (write.Entry is not null)
            {
                entries++;
                bytes += write.Entry.SizeWith(write.Key);
            }
        }

        return _engine.Fits(entries, bytes);
    }

    private bool TryGetLiveConsistent(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MemoryEntry? entry)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            entry = null;
            return false;
        }

        while (true)
        {
            long stamp = _engine.BeginRead();
            bool live = TryGetLive(table, key, out entry);
            if (_engine.EndRead(stamp))
            {
                return live;
            }
        }
    }

    private bool TryGetLive(ConcurrentDictionary<string, MemoryEntry> table, string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MemoryEntry? entry) =>
        // Only entries with a TTL need the clock, so a read of a permanent entry costs one dictionary lookup.
        table.TryGetValue(key, out entry) && (!entry.HasTtl || !entry.IsExpiredAt(Now()));

    // Folds over the namespace's live entries, with no multi-key write applying meanwhile. Keys starting with the
    // reserved prefix (Kv's own state, such as rate-limiter buckets) are not the user's: they are never listed.
    private T ReadLive<T>(Func<string, MemoryEntry, T, T> fold, T seed)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            return seed;
        }

        return _engine.ReadConsistent(
            (Store: this, Table: table, Fold: fold, Seed: seed),
            static s =>
            {
                long now = s.Store.Now();
                T acc = s.Seed;
                foreach (KeyValuePair<string, MemoryEntry> pair in s.Table)
                {
                    if (!pair.Value.IsExpiredAt(now) && !pair.Key.StartsWith(KvKeyRules.ReservedPrefix, StringComparison.Ordinal))
                    {
                        acc = s.Fold(pair.Key, pair.Value, acc);
                    }
                }

                return acc;
            });
    }

    private bool TryAdd(ConcurrentDictionary<string, MemoryEntry> table, string key, MemoryEntry entry)
    {
        long size = entry.SizeWith(key);
        if (!_engine.TryReserve(addsEntry: true, size) && !_engine.TryReserveSlow(addsEntry: true, size, table, key))
        {
            return false; // Another write added this key meanwhile: the caller's loop retries as an overwrite.
        }

        bool added = table.TryAdd(key, entry);
        if (!added)
        {
            _engine.Release(removesEntry: true, size);
        }

        _engine.Settle();
        if (added && entry.HasTtl)
        {
            _engine.AddExpiry(table, key, entry.ExpiresAtTicks);
        }

        return added;
    }

    // Replaces old with entry if the table still holds old. `now` is looked at only when entry has a TTL (to
    // tell whether the expiry index already covers it), so a caller writing a permanent entry may pass 0.
    private bool TryReplace(ConcurrentDictionary<string, MemoryEntry> table, string key, MemoryEntry old, MemoryEntry entry, long now)
    {
        // Same key, so the size changes by the payloads' difference alone. Growth is reserved before the swap
        // (a write past MaxBytes fails, leaving the old value); shrinkage is released after it, so a lost swap
        // never pushes the count past the limit on its way back.
        long delta = entry.DataLength - old.DataLength;
        bool reserved = delta > 0;
        if (reserved && !_engine.TryReserve(addsEntry: false, delta))
        {
            _engine.TryReserveSlow(addsEntry: false, delta, table: null, key: null);
        }

        bool replaced = table.TryUpdate(key, entry, old);
        if (reserved)
        {
            if (!replaced)
            {
                _engine.Release(removesEntry: false, delta);
            }

            _engine.Settle();
        }
        else if (replaced && delta < 0)
        {
            _engine.Release(removesEntry: false, -delta);
        }

        if (!replaced)
        {
            return false;
        }

        // A live TTL entry is already covered by an index item at or before its deadline; a deadline that is
        // kept or extended needs no new item (see ExpiryIndex).
        bool covered = old.HasTtl && !old.IsExpiredAt(now) && entry.ExpiresAtTicks >= old.ExpiresAtTicks;
        if (entry.HasTtl && !covered)
        {
            _engine.AddExpiry(table, key, entry.ExpiresAtTicks);
        }

        return true;
    }

    private static MemoryEntry NewEntry(KvValue value, long expiresAtTicks, byte[]? metadata, long version) =>
        MemoryEntry.Create(value.Payload!, value.Decoded, expiresAtTicks, metadata, version);

    /// <summary>One key's part of a multi-key write: the entry it ends with (<see langword="null"/>: deleted).</summary>
    /// <remarks>A write whose namespace has no table writes nothing there (it deletes or checks a key that never existed).</remarks>
    private readonly record struct PendingWrite(ConcurrentDictionary<string, MemoryEntry>? Table, string Key, MemoryEntry? Entry)
    {
        /// <summary>The live entry before the write.</summary>
        public MemoryEntry? Original { get; init; }

        public bool Changed => Table is not null && !ReferenceEquals(Entry, Original);

        /// <summary>The table of a write that <see cref="Changed"/> something: one only such writes are applied.</summary>
        public ConcurrentDictionary<string, MemoryEntry> Target =>
            Table ?? throw new InvalidOperationException("A write without a table changes nothing and is never applied.");
    }

    private static long Deadline(long now, TimeSpan? ttl) => ttl is { } t ? now + t.Ticks : 0;

    private long Now() => _engine.TimeProvider.GetUtcNow().UtcTicks;
}
