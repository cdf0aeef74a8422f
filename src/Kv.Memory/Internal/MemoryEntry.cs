using System.Text;

namespace Kv.Internal;

/// <summary>
/// One stored entry. Immutable: a write replaces the whole entry with a compare-and-swap, so a reader never
/// sees half of a write and never takes a lock.
/// </summary>
/// <remarks>
/// <para>Every stored key pays for one entry object, so it is kept small: a permanent entry is two references
/// (32 bytes with the object header), and only an entry with a TTL is an <see cref="ExpiringMemoryEntry"/>
/// with its deadline (40 bytes). Create entries with <see cref="Create"/>.</para>
/// <para>What an entry counts against <see cref="MemoryKvOptions.MaxBytes"/> is not stored either:
/// <see cref="SizeWith"/> computes it when an entry is added or removed, and a replacement under the same
/// key changes it by the difference of the payload lengths alone.</para>
/// </remarks>
internal class MemoryEntry
{
    protected MemoryEntry(byte[] payload, object? decoded)
    {
        Payload = payload;
        Decoded = decoded;
    }

    public byte[] Payload { get; }

    /// <summary>An immutable decoded copy (string or primitive) that reads hand back without decoding.</summary>
    public object? Decoded { get; }

    /// <summary>UTC ticks at which the entry is gone; 0 for a permanent entry.</summary>
    public long ExpiresAtTicks => this is ExpiringMemoryEntry expiring ? expiring.Deadline : 0;

    public bool HasTtl => this is ExpiringMemoryEntry;

    /// <summary>Creates an entry; <paramref name="expiresAtTicks"/> is 0 for a permanent one.</summary>
    public static MemoryEntry Create(byte[] payload, object? decoded, long expiresAtTicks) =>
        expiresAtTicks == 0 ? new MemoryEntry(payload, decoded) : new ExpiringMemoryEntry(payload, decoded, expiresAtTicks);

    /// <summary>An entry is gone from the instant its expiry is reached.</summary>
    public bool IsExpiredAt(long nowTicks) => this is ExpiringMemoryEntry expiring && nowTicks >= expiring.Deadline;

    /// <summary>The bytes this entry counts against <see cref="MemoryKvOptions.MaxBytes"/> under <paramref name="key"/>:
    /// the key's UTF-8 bytes plus the payload.</summary>
    public long SizeWith(string key) => Encoding.UTF8.GetByteCount(key) + Payload.Length;

    public MemoryEntry WithExpiry(long expiresAtTicks) => Create(Payload, Decoded, expiresAtTicks);

    public KvValue ToValue(bool includeExpiry) => new(
        Payload,
        Decoded,
        includeExpiry && this is ExpiringMemoryEntry expiring ? new DateTimeOffset(expiring.Deadline, TimeSpan.Zero) : null);
}
