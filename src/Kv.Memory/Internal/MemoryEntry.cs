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
/// strings and other immutable scalars; the serializer gives none for 64-bit integers, which it reads from their
/// digits without allocating. Create entries with <see cref="Create"/>.</para>
/// <para>What an entry counts against <see cref="MemoryKvOptions.MaxBytes"/> is not stored either:
/// <see cref="SizeWith"/> computes it when an entry is added or removed, and a replacement under the same
/// key changes it by the difference of <see cref="DataLength"/> alone.</para>
/// </remarks>
internal class MemoryEntry
{
    protected MemoryEntry(byte[] payload, object? decoded, long version)
    {
        Payload = payload;
        Decoded = decoded;
        Version = version;
    }

    public byte[] Payload { get; }

    /// <summary>An immutable decoded copy (string or primitive) that reads hand back without decoding.</summary>
    public object? Decoded { get; }

    /// <summary>The metadata as UTF-8 JSON, or <see langword="null"/>.</summary>
    public virtual byte[]? Metadata => null;

    /// <summary>The version the write that stored this value got (see <see cref="KvValue.Version"/>).</summary>
    public long Version { get; }

    /// <summary>UTC ticks at which the entry is gone; 0 for a permanent entry.</summary>
    public long ExpiresAtTicks => this is ExpiringMemoryEntry expiring ? expiring.Deadline : 0;

    public bool HasTtl => this is ExpiringMemoryEntry;

    /// <summary>The payload's and metadata's bytes: what a replacement under the same key changes the byte count by.</summary>
    public int DataLength => Payload.Length + (Metadata?.Length ?? 0);

    /// <summary>Creates an entry; <paramref name="expiresAtTicks"/> is 0 for a permanent one.</summary>
    public static MemoryEntry Create(byte[] payload, object? decoded, long expiresAtTicks, byte[]? metadata, long version) =>
        (expiresAtTicks, metadata) switch
        {
            (0, null) => new MemoryEntry(payload, decoded, version),
            (0, _) => new MemoryEntryWithMetadata(payload, decoded, metadata, version),
            (_, null) => new ExpiringMemoryEntry(payload, decoded, version, expiresAtTicks),
            _ => new ExpiringMemoryEntryWithMetadata(payload, decoded, metadata, version, expiresAtTicks),
        };

    /// <summary>An entry is gone from the instant its expiry is reached.</summary>
    public bool IsExpiredAt(long nowTicks) => this is ExpiringMemoryEntry expiring && nowTicks >= expiring.Deadline;

    /// <summary>The bytes this entry counts against <see cref="MemoryKvOptions.MaxBytes"/> under <paramref name="key"/>:
    /// the key's UTF-8 bytes plus the payload and the metadata (the size <see cref="IKvStore.GetStorageSizeAsync(CancellationToken)"/> reports).</summary>
    public long SizeWith(string key) => Encoding.UTF8.GetByteCount(key) + DataLength;

    /// <summary>The same value, version and metadata with another expiry (a TTL change is not a new version).</summary>
    public MemoryEntry WithExpiry(long expiresAtTicks) => Create(Payload, Decoded, expiresAtTicks, Metadata, Version);

    public KvValue ToValue(bool includeDetails) => includeDetails
        ? new(Payload, Decoded, this is ExpiringMemoryEntry expiring ? new DateTimeOffset(expiring.Deadline, TimeSpan.Zero) : null, Metadata, Version)
        : new(Payload, Decoded);
}

/// <summary>
/// Stands in a table for a key that a multi-key write (a transaction, set-many, delete-many) is changing, from the
/// moment the write claims the key until it stores its result or gives the key back. Readers see
/// <see cref="Original"/> through it, single-key writers wait until it is gone, and the GC leaves the key to the
/// multi-key write. So single-key writes take no shared pass: only the keys a multi-key write touches wait for it.
/// </summary>
internal sealed class PendingEntry(MemoryEntry? original) : MemoryEntry([], null, 0)
{
    /// <summary>The entry the key held when the multi-key write claimed it (<see langword="null"/>: none).</summary>
    public MemoryEntry? Original { get; } = original;
}
