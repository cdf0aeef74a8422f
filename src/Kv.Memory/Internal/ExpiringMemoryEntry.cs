namespace Kv.Internal;

/// <summary>An entry with a TTL.</summary>
internal sealed class ExpiringMemoryEntry : MemoryEntry
{
    public ExpiringMemoryEntry(byte[] payload, object? decoded, byte[]? metadata, long version, long deadline)
        : base(payload, decoded, metadata, version) => Deadline = deadline;

    /// <summary>UTC ticks at which the entry is gone; never 0.</summary>
    public long Deadline { get; }
}
