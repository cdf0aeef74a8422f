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
        : base(kv, namespacePath, serializer, kv.Engine.TimeProvider)
    {
        _kv = kv;
        _engine = kv.Engine;
    }

    // The table to write to, created on the namespace's first write.
    private ConcurrentDictionary<string, MemoryEntry> Table => _table ??= _engine.GetOrAddTable(NamespacePath);

    // The table to read from, or null while the namespace was never written.
    private ConcurrentDictionary<string, MemoryEntry>? ExistingTable => _table ??= _engine.FindTable(NamespacePath);

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

    protected override ValueTask<IReadOnlyList<KvKeyInfo>> ListCoreAsync(KvListRequest request, CancellationToken cancellationToken) =>
        new(ListCore(request));

    protected override IReadOnlyList<KvKeyInfo> ListCore(KvListRequest request)
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

        return keys;
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
        try
        {
            return new(SetIfNotExists(key, value, ttl));
        }
        catch (KvException ex)
        {
            return ValueTask.FromException<bool>(ex);
        }
    }

    protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, byte[]? metadata, CancellationToken cancellationToken)
    {
        try
        {
            return new(Increment(key, by, ttl, metadata));
        }
        catch (KvException ex)
        {
            return ValueTask.FromException<long>(ex);
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
        return new(_engine.RunMultiKey(
            (Store: this, Table: table, Keys: keys),
            static s =>
            {
                var claims = new List<Claim>(s.Keys.Length);
                try
                {
                    long now = s.Store.Now();
                    long deleted = 0;
                    foreach (string key in s.Keys)
                    {
                        Claim claim = Claim.Take(s.Table, key, now);
                        claims.Add(claim);
                        deleted += claim.Live is null ? 0 : 1;
                        claim.Current = null;
                    }

                    s.Store.Apply(claims);
                    return deleted;
                }
                finally
                {
                    GiveBack(claims);
                }
            }));
    }

    protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        new(ExpireCore(key, ttl));

    protected override ValueTask<bool> PersistCoreAsync(string key, CancellationToken cancellationToken) =>
        new(ChangeExpiry(key, ttlTicks: 0, requireTtl: true));

    protected override ValueTask SetManyCoreAsync(KeyValuePair<string, KvValue>[] items, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        try
        {
            ConcurrentDictionary<string, MemoryEntry> table = Table;
            _engine.RunMultiKey(
                (Store: this, Table: table, Items: items, Ttl: ttl),
                static s =>
                {
                    var claims = new List<Claim>(s.Items.Length);
                    try
                    {
                        long now = s.Store.Now();
                        foreach (KeyValuePair<string, KvValue> item in s.Items)
                        {
                            claims.Add(Claim.Take(s.Table, item.Key, now));
                        }

                        long version = s.Store._engine.NextVersion();
                        long deadline = s.Ttl is null ? 0 : Deadline(now, s.Ttl);
                        for (int i = 0; i < s.Items.Length; i++)
                        {
                            claims[i].Current = NewEntry(s.Items[i].Value, deadline, s.Items[i].Value.Metadata, version);
                        }

                        s.Store.Apply(claims);
                        return 0;
                    }
                    finally
                    {
                        GiveBack(claims);
                    }
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
            return new(_engine.RunMultiKey((Store: this, Operations: operations), static s => s.Store.Commit(s.Operations)));
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
            // The version is taken after the current entry is read and sealed (and again on each retry), so a key's
            // versions only ever increase.
            if (TryGetForWrite(table, key, out MemoryEntry? old))
            {
                old.Seal();
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
            if (TryGetForWrite(table, key, out MemoryEntry? old))
            {
                if (!old.HasTtl || !old.IsExpiredAt(Clock()))
                {
                    return false;
                }

                old.Seal();
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
        while (TryGetForWrite(table, key, out MemoryEntry? old))
        {
            old.Seal();
            if (table.TryRemove(new KeyValuePair<string, MemoryEntry>(key, old)))
            {
                _engine.Release(removesEntry: true, old.SizeWith(key));
                return !old.HasTtl || !old.IsExpiredAt(Now());
            }
        }

        return false;
    }

    // Replaces a live entry's expiry with now + ttlTicks (0: permanent). With requireTtl, only an entry that has a TTL
    // counts (persist).
    private bool ChangeExpiry(string key, long ttlTicks, bool requireTtl)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            return false;
        }

        long now = Now();
        while (TryGetForWrite(table, key, out MemoryEntry? old) && !old.IsExpiredAt(now) && (old.HasTtl || !requireTtl))
        {
            // The entry keeps its size, so this never needs room and never fails.
            old.Seal();
            if (TryReplace(table, key, old, old.WithExpiry(ttlTicks == 0 ? 0 : now + ttlTicks), now))
            {
                return true;
            }
        }

        return false;
    }

    private long Increment(string key, long by, TimeSpan? ttl, byte[]? metadata)
    {
        ConcurrentDictionary<string, MemoryEntry> table = Table;

        // The clock is read only when a TTL is involved (the window's or the counter's), and at most once: a
        // permanent counter costs no clock read.
        long? clock = null;
        while (true)
        {
            bool exists = TryGetForWrite(table, key, out MemoryEntry? old);
            if (exists && (!old!.HasTtl || !old.IsExpiredAt(Clock())))
            {
                // A live counter changes in place: one compare-and-swap of its integer, no new entry, no dictionary
                // lock. It keeps its TTL and metadata. A lost swap (another increment, or a write that sealed the
                // entry) goes round again.
                if (old.Data is KvIntegerPayload { IsFinal: false } counter)
                {
                    long sum = Add(counter.Value, by);
                    if (TryIncrementInPlace(old, counter, sum))
                    {
                        return sum;
                    }

                    continue;
                }

                // Any other value (or a sealed counter) is replaced by a counter entry, which later increments change
                // in place. It keeps the TTL and metadata too (and has read the clock if it has a TTL).
                old.Seal();
                long next = Add(old, by);
                MemoryEntry updated = MemoryEntry.CreateCounter(next, old.ExpiresAtTicks, old.Metadata, _engine.NextVersion());
                if (TryReplace(table, key, old, updated, clock ?? 0))
                {
                    return next;
                }

                continue;
            }

            old?.Seal();
            MemoryEntry created = MemoryEntry.CreateCounter(by, ttl is null ? 0 : Deadline(Clock(), ttl), metadata, _engine.NextVersion());
            if (exists ? TryReplace(table, key, old!, created, Clock()) : TryAdd(table, key, created))
            {
                return by;
            }
        }

        long Clock() => clock ??= Now();
    }

    // Stores a counter's new integer in place. The payload's length may change (9 to 10 is one more digit): growth is
    // reserved before the swap and shrinkage released after it, as for any replacement.
    private bool TryIncrementInPlace(MemoryEntry entry, KvIntegerPayload counter, long next)
    {
        long delta = KvIntegerPayload.DigitCount(next) - KvIntegerPayload.DigitCount(counter.Value);
        ReserveGrowth(delta);
        // The version is taken after the integer it replaces was read, so it is greater than that one's.
        bool swapped = entry.TrySwapCounter(counter, new KvIntegerPayload(next, _engine.NextVersion()));
        SettleResize(delta, swapped);
        return swapped;
    }

    // A write that changes an entry's size in place (a replacement under the same key, an increment) reserves its
    // growth before the swap (past MaxBytes it fails, changing nothing) ...
    private void ReserveGrowth(long delta)
    {
        if (delta > 0 && !_engine.TryReserve(addsEntry: false, delta))
        {
            _engine.TryReserveSlow(addsEntries: 0, delta, table: null, key: null);
        }
    }

    // ... and after it gives back the growth of a lost swap, or the shrinkage of a won one (so a lost swap never pushes
    // the count past the limit on its way back).
    private void SettleResize(long delta, bool swapped)
    {
        if (delta > 0)
        {
            if (!swapped)
            {
                _engine.Release(removesEntry: false, delta);
            }

            _engine.Settle();
        }
        else if (swapped && delta < 0)
        {
            _engine.Release(removesEntry: false, -delta);
        }
    }

    // The increment of a stored value, as Redis's INCRBY sees it: always the payload, never a decoded copy (custom
    // options can write numbers as strings). A plain string's payload starts with a quote, so it is no integer.
    private static long Add(MemoryEntry entry, long by) => entry.Data switch
    {
        KvIntegerPayload counter => Add(counter.Value, by),
        byte[] payload when KvValueSerializer.TryParseInteger(payload, out long current) => Add(current, by),
        _ => throw NotNumeric(),
    };

    private static long Add(long current, long by)
    {
        long next = unchecked(current + by);
        return ((current ^ next) & (by ^ next)) < 0 ? throw Overflow() : next;
    }

    // Runs under the engine's commit lock, with every key it touches claimed. Checks see the state before the
    // transaction; writes then apply in order to the claims, where a failing increment throws before anything is stored.
    private KvCommitResult Commit(IReadOnlyList<KvTransactionOperation> operations)
    {
        var claims = new Dictionary<(string Path, string Key), Claim>();
        try
        {
            long now = Now();

            // A namespace gets its table only when the transaction stores something in it (any of its keys, by any
            // operation: a key checked first and set later needs the table as much as one only set).
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (KvTransactionOperation op in operations)
            {
                if (op.Kind is KvTransactionOperationKind.Set or KvTransactionOperationKind.Increment)
                {
                    written.Add(op.NamespacePath);
                }
            }

            foreach (KvTransactionOperation op in operations)
            {
                if (!claims.ContainsKey((op.NamespacePath, op.Key)))
                {
                    ConcurrentDictionary<string, MemoryEntry>? table = written.Contains(op.NamespacePath)
                        ? _engine.GetOrAddTable(op.NamespacePath)
                        : _engine.FindTable(op.NamespacePath);
                    claims.Add((op.NamespacePath, op.Key), table is null ? Claim.Absent(op.Key) : Claim.Take(table, op.Key, now));
                }
            }

            foreach (KvTransactionOperation op in operations)
            {
                if (op.Kind == KvTransactionOperationKind.Check && claims[(op.NamespacePath, op.Key)].Live?.Version != op.ExpectedVersion)
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
                Claim claim = claims[(op.NamespacePath, op.Key)];
                claim.Current = op.Kind switch
                {
                    KvTransactionOperationKind.Check => claim.Current,
                    KvTransactionOperationKind.Set => NewEntry(op.Value, Deadline(now, op.Ttl), op.Value.Metadata, version),
                    KvTransactionOperationKind.Delete => null,
                    KvTransactionOperationKind.Increment => claim.Current is { } counter
                        ? MemoryEntry.CreateCounter(Add(counter, op.By), counter.ExpiresAtTicks, counter.Metadata, version)
                        : MemoryEntry.CreateCounter(op.By, Deadline(now, op.Ttl), op.Metadata, version),
                    _ => throw new ArgumentOutOfRangeException(nameof(operations), op.Kind, "Unknown transaction operation."),
                };
            }

            Apply([.. claims.Values]);
            return new KvCommitResult(Applied: true, version);
        }
        finally
        {
            GiveBack(claims.Values);
        }
    }

    // Stores a multi-key write's result: reserves the room it adds (collecting expired entries if needed, else failing
    // with nothing changed), then replaces every claim with the entry it ends with while readers retry (the seqlock),
    // then gives back the room it freed and files the new TTLs in the expiry index.
    private void Apply(IReadOnlyList<Claim> claims)
    {
        long entries = 0;
        long bytes = 0;
        foreach (Claim claim in claims)
        {
            if (claim.Table is not null && claim.Final is var final && !ReferenceEquals(final, claim.Original))
            {
                entries += (final is null ? 0 : 1) - (claim.Original is null ? 0 : 1);
                bytes += (final?.SizeWith(claim.Key) ?? 0) - (claim.Original?.SizeWith(claim.Key) ?? 0);
            }
        }

        long growEntries = Math.Max(0, entries);
        long growBytes = Math.Max(0, bytes);
        bool reserved = growEntries > 0 || growBytes > 0;
        if (reserved && !_engine.TryReserve(growEntries, growBytes))
        {
            _engine.TryReserveSlow(growEntries, growBytes, table: null, key: null);
        }

        _engine.BeginApply();
        try
        {
            foreach (Claim claim in claims)
            {
                claim.Release(claim.Final);
            }
        }
        finally
        {
            _engine.EndApply();
        }

        if (reserved)
        {
            _engine.Settle();
        }

        _engine.Release(Math.Max(0, -entries), Math.Max(0, -bytes));
        foreach (Claim claim in claims)
        {
            if (claim.Table is not null && claim.Final is { HasTtl: true } final && !ReferenceEquals(final, claim.Original))
            {
                _engine.AddExpiry(claim.Table, claim.Key, final.ExpiresAtTicks);
            }
        }
    }

    // Gives back every claim a multi-key write still holds (it failed, or wrote nothing), unchanged.
    private static void GiveBack(IEnumerable<Claim> claims)
    {
        foreach (Claim claim in claims)
        {
            claim.Release(claim.Original);
        }
    }

    // The entry a single-key write starts from. A key a multi-key write has claimed is waited for: that write is short,
    // and it holds no other lock that this write could hold.
    private static bool TryGetForWrite(ConcurrentDictionary<string, MemoryEntry> table, string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MemoryEntry? entry)
    {
        while (table.TryGetValue(key, out entry))
        {
            if (entry is not PendingEntry pending)
            {
                return true;
            }

            MemoryEngine.WaitForRelease(table, key, pending);
        }

        return false;
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

    private bool TryGetLive(ConcurrentDictionary<string, MemoryEntry> table, string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MemoryEntry? entry)
    {
        if (!table.TryGetValue(key, out entry))
        {
            return false;
        }

        // A key a multi-key write has claimed reads as it was before that write (until it stores its result, which
        // readers see whole: the seqlock).
        if (entry is PendingEntry pending && (entry = pending.Original) is null)
        {
            return false;
        }

        // Only entries with a TTL need the clock, so a read of a permanent entry costs one dictionary lookup.
        return !entry.HasTtl || !entry.IsExpiredAt(Now());
    }

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
        if (!_engine.TryReserve(addsEntry: true, size) && !_engine.TryReserveSlow(addsEntries: 1, size, table, key))
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
        ReserveGrowth(delta);
        bool replaced = table.TryUpdate(key, entry, old);
        SettleResize(delta, replaced);
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
        MemoryEntry.Create(value.PayloadSource!, value.Decoded, expiresAtTicks, metadata, version);

    /// <summary>
    /// One key of a multi-key write: the table (<see langword="null"/> when the namespace has none, so there is nothing
    /// to claim), the claim on the key, and the entry the write ends with so far.
    /// </summary>
    private sealed class Claim
    {
        private PendingEntry? _pending;

        private Claim(ConcurrentDictionary<string, MemoryEntry>? table, string key, PendingEntry? pending, long now)
        {
            Table = table;
            Key = key;
            _pending = pending;
            Original = pending?.Original;
            Live = pending?.Original is { } original && !original.IsExpiredAt(now) ? original : null;
            Current = Live;
        }

        public ConcurrentDictionary<string, MemoryEntry>? Table { get; }

        public string Key { get; }

        /// <summary>The entry the key physically held when claimed (expired or not).</summary>
        public MemoryEntry? Original { get; }

        /// <summary>The live entry when claimed: what the write's checks and increments see.</summary>
        public MemoryEntry? Live { get; }

        /// <summary>The entry the key holds after the write's operations so far (<see langword="null"/>: none).</summary>
        public MemoryEntry? Current { get; set; }

        /// <summary>What the key ends with: <see cref="Original"/> when the write left the live entry as it was (an
        /// expired entry then stays for the GC), else <see cref="Current"/>.</summary>
        public MemoryEntry? Final => ReferenceEquals(Current, Live) ? Original : Current;

        /// <summary>Claims a key (under the commit lock, so no other claim is held on it).</summary>
        public static Claim Take(ConcurrentDictionary<string, MemoryEntry> table, string key, long now)
        {
            while (true)
            {
                if (table.TryGetValue(key, out MemoryEntry? current))
                {
                    var pending = new PendingEntry(current);
                    if (table.TryUpdate(key, pending, current))
                    {
                        // No increment lands on the claimed entry any more: what the write sees of it is final.
                        current.Seal();
                        return new Claim(table, key, pending, now);
                    }
                }
                else
                {
                    var pending = new PendingEntry(null);
                    if (table.TryAdd(key, pending))
                    {
                        return new Claim(table, key, pending, now);
                    }
                }
            }
        }

        /// <summary>A key in a namespace without a table: missing, and nothing to claim.</summary>
        public static Claim Absent(string key) => new(null, key, null, 0);

        /// <summary>Ends the claim, leaving <paramref name="entry"/> (<see langword="null"/>: no entry); once only.</summary>
        public void Release(MemoryEntry? entry)
        {
            if (_pending is not { } pending || Table is null)
            {
                return;
            }

            // Only this write replaces its own claim (writers wait, the GC skips it), so this cannot fail.
            bool released = entry is null
                ? Table.TryRemove(new KeyValuePair<string, MemoryEntry>(Key, pending))
                : Table.TryUpdate(Key, entry, pending);
            _pending = null;
            if (!released)
            {
                throw new InvalidOperationException("A claimed key changed under its multi-key write.");
            }
        }
    }

    private static long Deadline(long now, TimeSpan? ttl) => ttl is { } t ? now + t.Ticks : 0;

    private long Now() => _engine.TimeProvider.GetUtcNow().UtcTicks;
}
