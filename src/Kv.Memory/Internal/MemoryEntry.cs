using System.Text;

namespace Kv.Internal;

/// <summary>
/// One stored entry. Immutable: a write replaces the whole entry with a compare-and-swap, so a reader never
/// sees half of a write and never takes a lock.
/// </summary>
/// <remarks>
/// <para>Every stored key pays for one entry object, so it is kept small: a permanent entry is its payload, decoded
/// copy and version (40 bytes with the object header). Only an entry with a TTL is an <see cref="ExpiringMemoryEntry"/>
/// with its deadline (48 bytes), and only an entry with metadata carries a field for it. The decoded copy is kept for
/// immutable scalars (a plain string is kept once, as its own payload); the serializer gives none for 64-bit integers,
/// which it reads from their digits without allocating, and a counter keeps its integer (<see cref="KvIntegerPayload"/>),
/// which increments replace in place. Create entries with <see cref="Create"/>.</para>
/// <para>What an entry counts against <see cref="MemoryKvOptions.MaxBytes"/> is not stored either:
/// <see cref="SizeWith"/> computes it when an entry is added or removed, and a replacement under the same
/// key changes it by the difference of <see cref="DataLength"/> alone.</para>
/// </remarks>
internal class MemoryEntry
{
    // The payload in the form KvValue carries it (KvValue.PayloadSource): a byte array; a plain string, stored once (it
    // is also the decoded copy); or, for a counter, a KvIntegerPayload. A counter is the one thing that changes in
    // place: an increment swaps in a new KvIntegerPayload (compare-and-swap, see TrySwapCounter) until a write that
    // replaces or removes the entry seals it (Seal). Everything else about an entry is immutable.
    private object _data;
    private readonly long _version;

    protected MemoryEntry(object data, object? decoded, long version)
    {
        _data = data;
        Decoded = decoded;
        _version = version;
    }

    /// <summary>The payload in the form it is kept (see <see cref="KvValue.PayloadSource"/>).</summary>
    public object Data => Volatile.Read(ref _data);

    /// <summary>The payload as bytes: built for a plain string or a counter, so only for paths that need the bytes.</summary>
    public byte[] Payload => KvValue.BuildPayload(Data)!;

    /// <summary>An immutable decoded copy (string or primitive) that reads hand back without decoding.</summary>
    public object? Decoded { get; }

    /// <summary>The metadata as UTF-8 JSON, or <see langword="null"/>.</summary>
    public virtual byte[]? Metadata => null;

    /// <summary>The version the write that stored this value got (see <see cref="KvValue.Version"/>); a counter's is
    /// that of its last increment.</summary>
    public long Version => Data is KvIntegerPayload counter ? counter.Version : _version;

    /// <summary>UTC ticks at which the entry is gone; 0 for a permanent entry.</summary>
    public long ExpiresAtTicks => this is ExpiringMemoryEntry expiring ? expiring.Deadline : 0;

    public bool HasTtl => this is ExpiringMemoryEntry;

    /// <summary>The payload's and metadata's bytes: what a replacement under the same key changes the byte count by.</summary>
    public int DataLength => KvValue.PayloadLength(Data) + (Metadata?.Length ?? 0);

    /// <summary>Creates an entry; <paramref name="expiresAtTicks"/> is 0 for a permanent one. A counter
    /// (<see cref="KvIntegerPayload"/>) gets an integer of its own with <paramref name="version"/>, open to increments.</summary>
    public static MemoryEntry Create(object payload, object? decoded, long expiresAtTicks, byte[]? metadata, long version)
    {
        if (payload is KvIntegerPayload counter)
        {
            payload = new KvIntegerPayload(counter.Value, version);
        }

        return (expiresAtTicks, metadata) switch
        {
            (0, null) => new MemoryEntry(payload, decoded, version),
            (0, _) => new MemoryEntryWithMetadata(payload, decoded, metadata, version),
            (_, null) => new ExpiringMemoryEntry(payload, decoded, version, expiresAtTicks),
            _ => new ExpiringMemoryEntryWithMetadata(payload, decoded, metadata, version, expiresAtTicks),
        };
    }

    /// <summary>Creates a counter entry holding <paramref name="value"/>.</summary>
    public static MemoryEntry CreateCounter(long value, long expiresAtTicks, byte[]? metadata, long version) =>
        Create(new KvIntegerPayload(value, version), decoded: null, expiresAtTicks, metadata, version);

    /// <summary>
    /// Replaces a counter's integer in place with <paramref name="next"/>, if it is still <paramref name="current"/>
    /// (no other increment came first, and no write sealed the entry).
    /// </summary>
    public bool TrySwapCounter(KvIntegerPayload current, KvIntegerPayload next) =>
        ReferenceEquals(Interlocked.CompareExchange(ref _data, next, current), current);

    /// <summary>
    /// Ends in-place increments of this entry: called by every write that replaces or removes it, before it takes its
    /// version or looks at the payload, so no increment lands on an entry that is on its way out (it would be lost),
    /// and the entry's value, version and size are final from here on. Nothing to do for an entry that is no counter.
    /// </summary>
    public void Seal()
    {
        while (Data is KvIntegerPayload { IsFinal: false } counter && !TrySwapCounter(counter, counter.ToFinal()))
        {
            // An increment came first: seal what it stored.
        }
    }

    /// <summary>An entry is gone from the instant its expiry is reached.</summary>
    public bool IsExpiredAt(long nowTicks) => this is ExpiringMemoryEntry expiring && nowTicks >= expiring.Deadline;

    /// <summary>The bytes this entry counts against <see cref="MemoryKvOptions.MaxBytes"/> under <paramref name="key"/>:
    /// the key's UTF-8 bytes plus the payload and the metadata (the size <see cref="IKvStore.GetStorageSizeAsync(CancellationToken)"/> reports).</summary>
    public long SizeWith(string key) => Encoding.UTF8.GetByteCount(key) + DataLength;

    /// <summary>The same value, version and metadata with another expiry (a TTL change is not a new version).</summary>
    /// <remarks>Call it on a sealed entry (<see cref="Seal"/>): a counter's copy starts from its final integer.</remarks>
    public MemoryEntry WithExpiry(long expiresAtTicks) => Create(Data, Decoded, expiresAtTicks, Metadata, Version);

    public KvValue ToValue(bool includeDetails)
    {
        // One read of the payload: a counter's integer and its version belong together.
        object data = Data;
        if (!includeDetails)
        {
            return new KvValue(data, Decoded);
        }

        return new KvValue(data, Decoded, ExpiresAtTicks, Metadata, data is KvIntegerPayload counter ? counter.Version : _version);
    }
}

/// <summary>
/// Stands in a table for a key that a multi-key write (a transaction, set-many, delete-many) is changing, from the
/// moment the write claims the key until it stores its result or gives the key back. Readers see
/// <see cref="Original"/> through it, single-key writers wait until it is gone, and the GC leaves the key to the
/// multi-key write. So single-key writes take no shared pass: only the keys a multi-key write touches wait for it.
/// </summary>
internal sealed class PendingEntry(MemoryEntry? original) : MemoryEntry(Array.Empty<byte>(), null, 0)
{
    /// <summary>The entry the key held when the multi-key write claimed it (<see langword="null"/>: none).</summary>
    public MemoryEntry? Original { get; } = original;
}
