namespace Kv.Internal;

/// <summary>
/// One stored entry. Immutable: a write replaces the whole entry with a compare-and-swap, so a reader never
/// sees half of a write and never takes a lock.
/// </summary>
internal sealed class MemoryEntry
{
    public MemoryEntry(byte[] payload, object? decoded, long expiresAtTicks, long size)
    {
        Payload = payload;
        Decoded = decoded;
        ExpiresAtTicks = expiresAtTicks;
        Size = size;
    }

    public byte[] Payload { get; }

    /// <summary>An immutable decoded copy (string or primitive) that reads hand back without decoding.</summary>
    public object? Decoded { get; }

    /// <summary>UTC ticks at which the entry is gone; 0 for a permanent entry.</summary>
    public long ExpiresAtTicks { get; }

    /// <summary>The bytes this entry counts against <see cref="MemoryKvOptions.MaxBytes"/>.</summary>
    public long Size { get; }

    public bool HasTtl => ExpiresAtTicks != 0;

    /// <summary>An entry is gone from the instant its expiry is reached.</summary>
    public bool IsExpiredAt(long nowTicks) => ExpiresAtTicks != 0 && nowTicks >= ExpiresAtTicks;

    public MemoryEntry WithExpiry(long expiresAtTicks) => new(Payload, Decoded, expiresAtTicks, Size);

    public KvValue ToValue(bool includeExpiry) => new(
        Payload,
        Decoded,
        includeExpiry && HasTtl ? new DateTimeOffset(ExpiresAtTicks, TimeSpan.Zero) : null);
}
