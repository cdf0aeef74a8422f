using System.Collections.Concurrent;

namespace Kv.Internal;

// The synchronous cores: the memory backend never waits, so these hold the code and the asynchronous cores return
// their results as completed tasks.
internal sealed partial class MemoryKvStore
{
    protected override KvValue GetCore(string key, bool includeDetails)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            return KvValue.Missing;
        }

        // One attempt in line; a read that overlapped a multi-key write storing its result goes round again.
        long stamp = _engine.BeginRead();
        KvValue value = TryGetLive(table, key, out MemoryEntry? entry) ? entry.ToValue(includeDetails) : KvValue.Missing;
        return _engine.EndRead(stamp) ? value : GetConsistent(table, key, includeDetails);
    }

    private KvValue GetConsistent(ConcurrentDictionary<string, MemoryEntry> table, string key, bool includeDetails)
    {
        while (true)
        {
            long stamp = _engine.BeginRead();
            KvValue value = TryGetLive(table, key, out MemoryEntry? entry) ? entry.ToValue(includeDetails) : KvValue.Missing;
            if (_engine.EndRead(stamp))
            {
                return value;
            }
        }
    }

    protected override void SetCore(string key, KvValue value, TimeSpan? ttl)
    {
        Set(key, value, ttl);
    }

    protected override bool DeleteCore(string key)
    {
        ConcurrentDictionary<string, MemoryEntry>? table = ExistingTable;
        if (table is null)
        {
            return false;
        }

        return Delete(table, key);
    }

    protected override bool ExpireCore(string key, TimeSpan ttl) =>
        ChangeExpiry(key, ttl.Ticks, requireTtl: false);
}
