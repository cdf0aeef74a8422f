using System.Collections.Concurrent;

namespace Kv.Internal;

/// <summary>
/// A min-heap of expiry deadlines, so a GC pass visits only what is due instead of every entry.
/// </summary>
/// <remarks>
/// <para>Invariant: every live entry with a TTL has at least one item here whose deadline is at or before its
/// expiry. Writers keep it cheaply: a write that keeps or extends the deadline of a live TTL entry adds nothing
/// (the earlier item still covers it); only a new TTL, or a shorter one, adds an item. When the GC pops an
/// item whose entry was extended, it puts the item back at the entry's current deadline. So a sliding
/// session touched on every request costs one item, not one per touch.</para>
/// <para>A delete, or a rewrite without a TTL, leaves its item behind until the item comes due. So that such
/// stale items cannot pile up (a lock taken and released with a one-hour lease, again and again),
/// <see cref="MemoryEngine"/> compacts the index when it holds more than about twice as many items as the store holds
/// entries: it detaches the heap in O(1) and files back, in slices, one item per key that still has a TTL.</para>
/// <para>Every method holds the lock for O(log n) per item, and <see cref="TakeDue"/> and <see cref="AddRange"/>
/// for one bounded slice.</para>
/// </remarks>
internal sealed class ExpiryIndex
{
    private readonly Lock _gate = new();
    private PriorityQueue<ExpiryItem, long> _heap = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _heap.Count;
            }
        }
    }

    /// <summary>Adds an item.</summary>
    /// <returns>How many items the index holds now.</returns>
    public int Add(ConcurrentDictionary<string, MemoryEntry> table, string key, long deadlineTicks)
    {
        lock (_gate)
        {
            _heap.Enqueue(new ExpiryItem(table, key), deadlineTicks);
            return _heap.Count;
        }
    }

    public void AddRange(List<(ExpiryItem Item, long DeadlineTicks)> items)
    {
        lock (_gate)
        {
            _heap.EnqueueRange(items);
        }
    }

    /// <summary>Takes every item out at once (the index is empty afterwards), for a compaction to file back.</summary>
    public PriorityQueue<ExpiryItem, long> DetachAll()
    {
        lock (_gate)
        {
            PriorityQueue<ExpiryItem, long> detached = _heap;
            _heap = new PriorityQueue<ExpiryItem, long>();
            return detached;
        }
    }

    /// <summary>Moves at most <paramref name="max"/> items due at <paramref name="nowTicks"/> into <paramref name="due"/>.</summary>
    public void TakeDue(long nowTicks, List<ExpiryItem> due, int max)
    {
        lock (_gate)
        {
            while (due.Count < max && _heap.TryPeek(out ExpiryItem item, out long deadline) && deadline <= nowTicks)
            {
                _heap.Dequeue();
                due.Add(item);
            }
        }
    }
}
