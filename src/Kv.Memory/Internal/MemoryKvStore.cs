using System.Collections.Concurrent;
using System.Text;

namespace Kv.Internal;

/// <summary>
/// The store of one namespace of a <see cref="MemoryKv"/>. Each namespace has its own dictionary, keyed by
/// the key as given, so namespaces cannot meet and a read builds no physical key string.
/// </summary>
internal sealed class MemoryKvStore : KvStoreBase
{
    private readonly MemoryKv _kv;
    private readonly ConcurrentDictionary<string, MemoryEntry> _table;

    public MemoryKvStore(MemoryKv kv, string namespacePath, ConcurrentDictionary<string, MemoryEntry> table)
        : base(namespacePath, kv.Serializer)
    {
        _kv = kv;
        _table = table;
    }

    protected override IAtomicKvStore CreateChild(string namespacePath) => _kv.CreateStore(namespacePath);

    protected override ValueTask<KvValue> GetCoreAsync(string key, bool includeExpiry, CancellationToken cancellationToken) =>
        new(TryGetLive(key, out MemoryEntry? entry) ? entry.ToValue(includeExpiry) : KvValue.Missing);

    protected override ValueTask<bool> ExistsCoreAsync(string key, CancellationToken cancellationToken) =>
        new(TryGetLive(key, out _));

    protected override ValueTask SetCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        long now = ttl is null ? 0 : Now();
        MemoryEntry entry = NewEntry(key, value, Deadline(now, ttl));
        while (true)
        {
            if (_table.TryGetValue(key, out MemoryEntry? old))
            {
                if (TryReplace(key, old, entry, now))
                {
                    return default;
                }
            }
            else if (TryAdd(key, entry))
            {
                return default;
            }
        }
    }

    protected override ValueTask<bool> SetIfNotExistsCoreAsync(string key, KvValue value, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        long now = Now();
        MemoryEntry entry = NewEntry(key, value, Deadline(now, ttl));
        while (true)
        {
            if (_table.TryGetValue(key, out MemoryEntry? old))
            {
                if (!old.IsExpiredAt(now))
                {
                    return new(false);
                }

                if (TryReplace(key, old, entry, now))
                {
                    return new(true);
                }
            }
            else if (TryAdd(key, entry))
            {
                return new(true);
            }
        }
    }

    protected override ValueTask<bool> DeleteCoreAsync(string key, CancellationToken cancellationToken)
    {
        while (_table.TryGetValue(key, out MemoryEntry? old))
        {
            if (_table.TryRemove(new KeyValuePair<string, MemoryEntry>(key, old)))
            {
                _kv.Release(removesEntry: true, old.Size);
                return new(!old.IsExpiredAt(Now()));
            }
        }

        return new(false);
    }

    protected override ValueTask<bool> ExpireCoreAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        long now = Now();
        while (_table.TryGetValue(key, out MemoryEntry? old) && !old.IsExpiredAt(now))
        {
            if (TryReplace(key, old, old.WithExpiry(Deadline(now, ttl)), now))
            {
                return new(true);
            }
        }

        return new(false);
    }

    protected override ValueTask<long> IncrementCoreAsync(string key, long by, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        long now = Now();
        while (true)
        {
            bool exists = _table.TryGetValue(key, out MemoryEntry? old);
            if (exists && !old!.IsExpiredAt(now))
            {
                long current = old.Decoded is long cached
                    ? cached
                    : KvValueSerializer.TryParseInteger(old.Payload, out long parsed) ? parsed : throw NotNumeric();
                long next = unchecked(current + by);
                if (((current ^ next) & (by ^ next)) < 0)
                {
                    throw Overflow();
                }

                // An existing counter keeps its TTL.
                if (TryReplace(key, old, NewEntry(key, Serializer.FromInteger(next), old.ExpiresAtTicks), now))
                {
                    return new(next);
                }

                continue;
            }

            MemoryEntry created = NewEntry(key, Serializer.FromInteger(by), Deadline(now, ttl));
            if (exists ? TryReplace(key, old!, created, now) : TryAdd(key, created))
            {
                return new(by);
            }
        }
    }

    private bool TryGetLive(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MemoryEntry? entry)
    {
        // Only entries with a TTL need the clock, so a read of a permanent entry costs one dictionary lookup.
        return _table.TryGetValue(key, out entry) && (!entry.HasTtl || !entry.IsExpiredAt(Now()));
    }

    private bool TryAdd(string key, MemoryEntry entry)
    {
        _kv.Reserve(addsEntry: true, entry.Size);
        if (!_table.TryAdd(key, entry))
        {
            _kv.Release(removesEntry: true, entry.Size);
            return false;
        }

        if (entry.HasTtl)
        {
            _kv.Expiry.Add(_table, key, entry.ExpiresAtTicks);
        }

        return true;
    }

    private bool TryReplace(string key, MemoryEntry old, MemoryEntry entry, long now)
    {
        long delta = entry.Size - old.Size;
        _kv.Reserve(addsEntry: false, delta);
        if (!_table.TryUpdate(key, entry, old))
        {
            _kv.Release(removesEntry: false, delta);
            return false;
        }

        // A live TTL entry is already covered by an index item at or before its deadline; a deadline that is
        // kept or extended needs no new item (see ExpiryIndex).
        bool covered = old.HasTtl && !old.IsExpiredAt(now) && entry.ExpiresAtTicks >= old.ExpiresAtTicks;
        if (entry.HasTtl && !covered)
        {
            _kv.Expiry.Add(_table, key, entry.ExpiresAtTicks);
        }

        return true;
    }

    private static MemoryEntry NewEntry(string key, KvValue value, long expiresAtTicks) =>
        new(value.Payload!, value.Decoded, expiresAtTicks, Encoding.UTF8.GetByteCount(key) + value.Payload!.Length);

    private static long Deadline(long now, TimeSpan? ttl) => ttl is { } t ? now + t.Ticks : 0;

    private long Now() => _kv.TimeProvider.GetUtcNow().UtcTicks;
}
