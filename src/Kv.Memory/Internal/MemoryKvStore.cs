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
internal sealed class MemoryKvStore : KvStoreBase
{
    private readonly MemoryKv _kv;

    // The namespace's table, resolved on first use. A namespace that was only ever read has none: reads of a
    // never-written namespace allocate nothing. Tables are never removed, so caching one is safe.
    private ConcurrentDictionary<string, MemoryEntry>? _table;

    public MemoryKvStore(MemoryKv kv, string namespacePath, KvValueSerializer serializer)
        : base(namespacePath, serializer)
    {
        _kv = kv;
    }

    // The table to write to, created on the namespace's first write.
    private ConcurrentDictionary<string, MemoryEntry> Table => _table ??= _kv.GetOrAddTable(NamespacePath);

    // The table to read from, or null while the namespace was never written.
    private ConcurrentDictionary<string, MemoryEntry>? ExistingTable => _table ??= _kv.FindTable(NamespacePath);

    protected override IAtomicKvStore CreateChild(string namespacePath) => new MemoryKvStore(_kv, namespacePath, Serializer);

    protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeExpiry, CancellationToken cancellationToken) =>
        new(TryGetLive(key, out MemoryEntry? entry) ? entry.ToValue(includeExpiry) : KvValue.Missing);

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        new(TryGetLive(key, out _));

    protected override ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        try
        {
            Set(key, value, ttl);
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

    protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        try
        {
            return new(Increment(key, by, ttl));
        }
        catch (KvException ex)
        {
            return ValueTask.FromException<long>(ex);
        }
    }

    private void Set(string key, KvValue value, TimeSpan? ttl)
    {
        ConcurrentDictionary<string, MemoryEntry> table = Table;
        long now = ttl is null ? 0 : Now();
        MemoryEntry entry = NewEntry(value, Deadline(now, ttl));
        while (true)
        {
            if (table.TryGetValue(key, out MemoryEntry? old))
            {
                if (TryReplace(table, key, old, entry, now))
                {
                    return;
                }
            }
            else if (TryAdd(table, key, entry))
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
        MemoryEntry? entry = null;
        while (true)
        {
            if (table.TryGetValue(key, out MemoryEntry? old))
            {
                if (!old.HasTtl || !old.IsExpiredAt(Clock()))
                {
                    return false;
                }

                if (TryReplace(table, key, old, entry ??= Create(), Clock()))
                {
                    return true;
                }
            }
            else if (TryAdd(table, key, entry ??= Create()))
            {
                return true;
            }
        }

        long Clock() => clock ??= Now();

        MemoryEntry Create() => NewEntry(value, ttl is null ? 0 : Deadline(Clock(), ttl));
    }

    protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        while (table is not null && table.TryGetValue(key, out MemoryEntry? old))
        {
            if (table.TryRemove(new KeyValuePair<string, MemoryEntry>(key, old)))
            {
                _kv.Release(removesEntry: true, old.SizeWith(key));
                return new(!old.HasTtl || !old.IsExpiredAt(Now()));
            }
        }

        return new(false);
    }

    protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        long now = Now();
        while (table is not null && table.TryGetValue(key, out MemoryEntry? old) && !old.IsExpiredAt(now))
        {
            // The entry keeps its size, so this never needs room and never fails.
            if (TryReplace(table, key, old, old.WithExpiry(Deadline(now, ttl)), now))
            {
                return new(true);
            }
        }

        return new(false);
    }

    private long Increment(string key, long by, TimeSpan? ttl)
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
                // Always the payload, as Redis's INCRBY sees it: a decoded copy may be a number whose payload is
                // not an integer (custom options can write numbers as strings).
                if (!KvValueSerializer.TryParseInteger(old.Payload, out long current))
                {
                    throw NotNumeric();
                }

                long next = unchecked(current + by);
                if (((current ^ next) & (by ^ next)) < 0)
                {
                    throw Overflow();
                }

                // An existing counter keeps its TTL (and has read the clock if it has one).
                if (TryReplace(table, key, old, NewEntry(Serializer.FromInteger(next), old.ExpiresAtTicks), clock ?? 0))
                {
                    return next;
                }

                continue;
            }

            MemoryEntry created = NewEntry(Serializer.FromInteger(by), ttl is null ? 0 : Deadline(Clock(), ttl));
            if (exists ? TryReplace(table, key, old!, created, Clock()) : TryAdd(table, key, created))
            {
                return by;
            }
        }

        long Clock() => clock ??= Now();
    }

    private bool TryGetLive(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MemoryEntry? entry)
    {
        // Only entries with a TTL need the clock, so a read of a permanent entry costs one dictionary lookup.
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            entry = null;
            return false;
        }

        return table.TryGetValue(key, out entry) && (!entry.HasTtl || !entry.IsExpiredAt(Now()));
    }

    private bool TryAdd(ConcurrentDictionary<string, MemoryEntry> table, string key, MemoryEntry entry)
    {
        long size = entry.SizeWith(key);
        if (!_kv.TryReserve(addsEntry: true, size) && !_kv.TryReserveSlow(addsEntry: true, size, table, key))
        {
            return false; // Another write added this key meanwhile: the caller's loop retries as an overwrite.
        }

        bool added = table.TryAdd(key, entry);
        if (!added)
        {
            _kv.Release(removesEntry: true, size);
        }

        _kv.Settle();
        if (added && entry.HasTtl)
        {
            _kv.AddExpiry(table, key, entry.ExpiresAtTicks);
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
        long delta = entry.Payload.Length - old.Payload.Length;
        bool reserved = delta > 0;
        if (reserved && !_kv.TryReserve(addsEntry: false, delta))
        {
            _kv.TryReserveSlow(addsEntry: false, delta, table: null, key: null);
        }

        bool replaced = table.TryUpdate(key, entry, old);
        if (reserved)
        {
            if (!replaced)
            {
                _kv.Release(removesEntry: false, delta);
            }

            _kv.Settle();
        }
        else if (replaced && delta < 0)
        {
            _kv.Release(removesEntry: false, -delta);
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
            _kv.AddExpiry(table, key, entry.ExpiresAtTicks);
        }

        return true;
    }

    private static MemoryEntry NewEntry(KvValue value, long expiresAtTicks) =>
        MemoryEntry.Create(value.Payload!, value.Decoded, expiresAtTicks);

    private static long Deadline(long now, TimeSpan? ttl) => ttl is { } t ? now + t.Ticks : 0;

    private long Now() => _kv.TimeProvider.GetUtcNow().UtcTicks;
}
