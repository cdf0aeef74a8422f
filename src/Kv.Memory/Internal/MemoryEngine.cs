using System.Collections.Concurrent;
using System.Globalization;

namespace Kv.Internal;

/// <summary>
/// The in-process storage engine behind <see cref="MemoryKv"/>: the namespace tables, the version counter, the
/// exclusive pass and seqlock of multi-key writes, the reservations that hold the limits, and the expiry index
/// with its GC and compaction. The public <see cref="MemoryKv"/> is the adaptor over one engine; its stores
/// (<see cref="MemoryKvStore"/>) run their operations on it.
/// </summary>
internal sealed class MemoryEngine
{
    // How many due expiry items one GC slice takes under the index lock before it lets writers in again.
    public const int GcSliceSize = 256;

    // The expiry index is compacted when it holds more than twice as many items as there are entries, plus this.
    public const int CompactionSlack = 4096;

    // How long a write that found no room waits (in SpinWait rounds) for writes holding reservations to settle
    // before it collects expired entries and, failing that, reports the store full.
    private const int MaxSettleSpins = 200;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, MemoryEntry>> _tables = new(StringComparer.Ordinal);
    private readonly ExpiryIndex _expiry = new();
    private readonly long _maxEntries;
    private readonly long _maxBytes;
    private readonly bool _hasLimits;
    private long _entryCount;
    private long _byteCount;
    private int _inFlight;
    private int _compacting;

    // Versions (see KvValue.Version): one counter for the whole store, so they increase across every namespace.
    private long _version;

    // Multi-key writes (transactions, set-many, delete-many) run one at a time under _commitLock, which listings take
    // too. A multi-key write claims its keys with a PendingEntry each, so single-key writes to those keys wait for it
    // while every other write goes on. It stores its result with _commitSequence odd: readers use it as a seqlock, so
    // no reader sees half of one. Readers never block writers, and single-key writers share no counter.
    private readonly Lock _commitLock = new();
    private long _commitSequence;

    /// <summary>Creates an empty engine.</summary>
    /// <param name="options">The validated options (their limits).</param>
    /// <param name="timeProvider">The clock expiry is measured on.</param>
    public MemoryEngine(MemoryKvOptions options, TimeProvider timeProvider)
    {
        TimeProvider = timeProvider;
        _maxEntries = options.MaxEntries ?? long.MaxValue;
        _maxBytes = options.MaxBytes ?? long.MaxValue;
        _hasLimits = options.MaxEntries is not null || options.MaxBytes is not null;
    }

    /// <summary>The physical entries held, expired-but-not-yet-collected ones included.</summary>
    public long EntryCount => Interlocked.Read(ref _entryCount);

    /// <summary>The bytes the entries take, counted as for <see cref="MemoryKvOptions.MaxBytes"/>.</summary>
    public long ByteCount => Interlocked.Read(ref _byteCount);

    /// <summary>The clock expiry is measured on.</summary>
    public TimeProvider TimeProvider { get; }

    public ExpiryIndex Expiry => _expiry;

    /// <summary>How many expiry index items the last GC pass visited: the measure of its cost, for tests.</summary>
    public int LastPassVisited { get; private set; }

    /// <summary>
    /// Runs one GC pass now: removes the entries whose TTL has passed. The pass visits only entries that are
    /// due, and holds the expiry index's lock for one slice of at most a few hundred items at a time.
    /// </summary>
    /// <returns>How many entries it removed.</returns>
    public int CollectExpired()
    {
        long now = TimeProvider.GetUtcNow().UtcTicks;
        int removed = 0;
        int visited = 0;
        var due = new List<ExpiryItem>(GcSliceSize);
        List<(ExpiryItem Item, long DeadlineTicks)>? claimed = null;
        do
        {
            due.Clear();
            _expiry.TakeDue(now, due, GcSliceSize);
            foreach (ExpiryItem item in due)
            {
                removed += CollectOne(item, now, ref claimed);
            }

            visited += due.Count;
        }
        while (due.Count == GcSliceSize);

        // Keys a multi-key write had claimed are left to it; their items go back for the next pass.
        if (claimed is not null)
        {
            _expiry.AddRange(claimed);
        }

        LastPassVisited = visited;
        if (IndexOutgrowsStore(_expiry.Count))
        {
            ScheduleCompaction();
        }

        return removed;
    }

    public ConcurrentDictionary<string, MemoryEntry> GetOrAddTable(string namespacePath) =>
        _tables.GetOrAdd(namespacePath, static _ => new(StringComparer.Ordinal));

    /// <summary>Whether an expiry-index compaction is running (or queued), for tests.</summary>
    public bool IsCompacting => Volatile.Read(ref _compacting) != 0;

    /// <summary>How many namespaces have a table: only namespaces that were written to.</summary>
    public int TableCount => _tables.Count;

    public ConcurrentDictionary<string, MemoryEntry>? FindTable(string namespacePath) =>
        _tables.TryGetValue(namespacePath, out ConcurrentDictionary<string, MemoryEntry>? table) ? table : null;

    /// <summary>A new version: greater than every version given out before.</summary>
    public long NextVersion() => Interlocked.Increment(ref _version);

    /// <summary>
    /// Runs a multi-key write: one at a time, and never during a listing. The write claims its keys
    /// (<see cref="PendingEntry"/>) and stores its result between <see cref="BeginApply"/> and <see cref="EndApply"/>.
    /// </summary>
    public T RunMultiKey<TState, T>(TState state, Func<TState, T> write)
    {
        lock (_commitLock)
        {
            return write(state);
        }
    }

    /// <summary>Starts storing a multi-key write's result: readers that overlap it retry (see <see cref="BeginRead"/>).</summary>
    public void BeginApply() => Interlocked.Increment(ref _commitSequence);

    /// <summary>Ends storing a multi-key write's result.</summary>
    public void EndApply() => Interlocked.Increment(ref _commitSequence);

    /// <summary>Waits, as a single-key write, until a multi-key write has given back a key it claimed.</summary>
    public static void WaitForRelease(ConcurrentDictionary<string, MemoryEntry> table, string key, PendingEntry pending)
    {
        var spin = new SpinWait();
        while (table.TryGetValue(key, out MemoryEntry? entry) && ReferenceEquals(entry, pending))
        {
            spin.SpinOnce();
        }
    }

    /// <summary>Runs a read of many entries (a listing) with no multi-key write applying meanwhile.</summary>
    public T ReadConsistent<TState, T>(TState state, Func<TState, T> read)
    {
        lock (_commitLock)
        {
            return read(state);
        }
    }

    /// <summary>Starts a read: waits out a multi-key write that is applying and returns the stamp to check with <see cref="EndRead"/>.</summary>
    public long BeginRead()
    {
        long stamp = Volatile.Read(ref _commitSequence);
        if ((stamp & 1) != 0)
        {
            var spin = new SpinWait();
            do
            {
                spin.SpinOnce();
                stamp = Volatile.Read(ref _commitSequence);
            }
            while ((stamp & 1) != 0);
        }

        return stamp;
    }

    /// <summary>Whether no multi-key write started since <see cref="BeginRead"/>; if one did, the read retries.</summary>
    public bool EndRead(long stamp)
    {
        // Keeps the entry loads before the stamp's second load (free on x64; a fence on weaker memory models).
        Volatile.ReadBarrier();
        return Volatile.Read(ref _commitSequence) == stamp;
    }

    /// <summary>Files an expiry item for a write; past the compaction threshold, schedules a compaction.</summary>
    public void AddExpiry(ConcurrentDictionary<string, MemoryEntry> table, string key, long deadlineTicks)
    {
        if (IndexOutgrowsStore(_expiry.Add(table, key, deadlineTicks)))
        {
            ScheduleCompaction();
        }
    }

    // Stale items outnumber live ones (see CompactExpiryIndex): time to compact.
    private bool IndexOutgrowsStore(int indexCount) => indexCount > (2 * EntryCount) + CompactionSlack;

    /// <summary>
    /// Reserves room for a write: one more entry when <paramref name="addsEntry"/>, and more bytes. A write that got
    /// a reservation calls <see cref="Settle"/> once it has committed or rolled back.
    /// </summary>
    /// <returns><see langword="false"/> when the write would pass a limit; nothing is reserved then.</returns>
    public bool TryReserve(bool addsEntry, long bytes) => TryReserve(addsEntry ? 1 : 0, bytes);

    /// <summary>Reserves room for <paramref name="entries"/> more entries and <paramref name="bytes"/> more bytes (a
    /// multi-key write's growth); see <see cref="TryReserve(bool, long)"/>.</summary>
    public bool TryReserve(long entries, long bytes)
    {
        if (entries > 0 && Interlocked.Add(ref _entryCount, entries) > _maxEntries)
        {
            Interlocked.Add(ref _entryCount, -entries);
            return false;
        }

        if (bytes > 0 && Interlocked.Add(ref _byteCount, bytes) > _maxBytes)
        {
            Interlocked.Add(ref _byteCount, -bytes);
            if (entries > 0)
            {
                Interlocked.Add(ref _entryCount, -entries);
            }

            return false;
        }

        if (_hasLimits)
        {
            Interlocked.Increment(ref _inFlight);
        }

        return true;
    }

    /// <summary>Ends a reservation taken by <see cref="TryReserve(bool, long)"/>: its write has committed or rolled back.</summary>
    public void Settle()
    {
        if (_hasLimits)
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>
    /// The slow path of a reservation that found no room. A limit may look reached only because of writes in flight:
    /// one that reserved and will roll back, or one adding this very key (then this write is an overwrite, needing no
    /// new entry). So it waits, a bounded while, for those to settle; then collects expired entries (gone for every
    /// reader already, so freeing them is not eviction) and tries once more; then fails.
    /// </summary>
    /// <param name="addsEntries">How many entries the write adds.</param>
    /// <param name="bytes">The bytes it adds.</param>
    /// <param name="table">With <paramref name="key"/>: the key this write adds, to notice that another write added it.</param>
    /// <param name="key">The key this write adds, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when room was reserved; <see langword="false"/> when the key appeared meanwhile
    /// (retry as an overwrite).</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.CapacityExceeded"/>: there is no room.</exception>
    public bool TryReserveSlow(long addsEntries, long bytes, ConcurrentDictionary<string, MemoryEntry>? table, string? key)
    {
        bool collected = false;
        var spin = new SpinWait();
        for (int round = 0; ; round++)
        {
            if (key is not null && table!.ContainsKey(key))
            {
                return false;
            }

            if (TryReserve(addsEntries, bytes))
            {
                return true;
            }

            if (Volatile.Read(ref _inFlight) > 0 && round < MaxSettleSpins)
            {
                spin.SpinOnce();
            }
            else if (!collected)
            {
                CollectExpired();
                collected = true;
                round = 0;
            }
            else
            {
                throw CapacityExceeded();
            }
        }
    }

    /// <summary>The error of a write that found no room even after expired entries were collected.</summary>
    public KvException CapacityExceeded() => new(
        KvErrorCode.CapacityExceeded,
        string.Create(CultureInfo.InvariantCulture, $"The memory store is full (MaxEntries {Format(_maxEntries)}, MaxBytes {Format(_maxBytes)}); the write was not applied and nothing was evicted."));

    /// <summary>Gives back <paramref name="entries"/> entries and <paramref name="bytes"/> bytes (0 or more each).</summary>
    public void Release(long entries, long bytes)
    {
        if (entries != 0)
        {
            Interlocked.Add(ref _entryCount, -entries);
        }

        if (bytes != 0)
        {
            Interlocked.Add(ref _byteCount, -bytes);
        }
    }

    /// <summary>Gives back the room of an entry that was removed (<paramref name="removesEntry"/>) or shrank.</summary>
    public void Release(bool removesEntry, long bytes) => Release(removesEntry ? 1 : 0, bytes);

    private static string Format(long limit) => limit == long.MaxValue ? "unlimited" : limit.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Drops the items that deletes and rewrites left behind (see <see cref="ExpiryIndex"/>): detaches the heap in
    /// O(1), then files back, a slice at a time, one item per key that still has a TTL, at a deadline no later than
    /// the entry's. Runs when the index has grown past twice the entry count, so its cost is amortized over at least
    /// as many earlier writes, on the thread pool. A key rewritten meanwhile is safe: a new TTL or a shorter one adds its
    /// own item, and a kept or longer one is covered by the item filed back here. While it runs, a GC pass sees only the
    /// items filed back so far; the rest are collected by the next pass.
    /// </summary>
    private void ScheduleCompaction()
    {
        // On the thread pool, never on a writer's thread or inside a GC pass: a compaction visits the whole index.
        if (Interlocked.CompareExchange(ref _compacting, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static engine => engine.CompactExpiryIndex(), this, preferLocal: false);
        }
    }

    private void CompactExpiryIndex()
    {
        try
        {
            PriorityQueue<ExpiryItem, long> detached = _expiry.DetachAll();
            var filed = new HashSet<ExpiryItem>();
            var slice = new List<(ExpiryItem Item, long DeadlineTicks)>(GcSliceSize);
            foreach ((ExpiryItem item, long deadline) in detached.UnorderedItems)
            {
                // A key a multi-key write has claimed keeps its item as it is: the write may give back the entry it covers.
                if (item.Table.TryGetValue(item.Key, out MemoryEntry? entry) && (entry.HasTtl || entry is PendingEntry) && filed.Add(item))
                {
                    slice.Add((item, entry.HasTtl ? Math.Min(deadline, entry.ExpiresAtTicks) : deadline));
                    if (slice.Count == GcSliceSize)
                    {
                        _expiry.AddRange(slice);
                        slice.Clear();
                    }
                }
            }

            _expiry.AddRange(slice);
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
        }

        // Writes that ran meanwhile may have filed enough items to pass the threshold again; they could not schedule
        // a compaction while this one ran, and no later write may come to do it.
        if (IndexOutgrowsStore(_expiry.Count))
        {
            ScheduleCompaction();
        }
    }

    private int CollectOne(ExpiryItem item, long now, ref List<(ExpiryItem Item, long DeadlineTicks)>? claimed)
    {
        while (item.Table.TryGetValue(item.Key, out MemoryEntry? entry))
        {
            if (entry is PendingEntry)
            {
                (claimed ??= []).Add((item, now));
                return 0;
            }

            if (!entry.HasTtl)
            {
                return 0; // Made permanent since: nothing to collect.
            }

            if (!entry.IsExpiredAt(now))
            {
                // Extended since this item was added: keep covering it at its current deadline.
                _expiry.Add(item.Table, item.Key, entry.ExpiresAtTicks);
                return 0;
            }

            // Removes only the entry seen here; if a writer replaced it meanwhile, look again. Sealed first, so that
            // no increment lands on it on its way out and its size is final.
            entry.Seal();
            if (item.Table.TryRemove(new KeyValuePair<string, MemoryEntry>(item.Key, entry)))
            {
                Release(entries: 1, entry.SizeWith(item.Key));
                return 1;
            }
        }

        return 0;
    }

}
