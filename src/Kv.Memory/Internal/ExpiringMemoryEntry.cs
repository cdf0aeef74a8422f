namespace Kv.Internal;

/// <summary>An entry with a TTL.</summary>
internal class ExpiringMemoryEntry : MemoryEntry
{
    public ExpiringMemoryEntry(object payload, object? decoded, long version, long deadline)
        : base(payload, decoded, version) => Deadline = deadline;

    /// <summary>UTC ticks at which the entry is gone; never 0.</summary>
    public long Deadline { get; }
}

/// <summary>An entry with a TTL and metadata.</summary>
internal sealed class ExpiringMemoryEntryWithMetadata(object payload, object? decoded, byte[] metadata, long version, long deadline)
    : ExpiringMemoryEntry(payload, decoded, version, deadline)
{
    public override byte[]? Metadata { get; } = metadata;
}

/// <summary>A permanent entry with metadata.</summary>
internal sealed class MemoryEntryWithMetadata(object payload, object? decoded, byte[] metadata, long version)
    : MemoryEntry(payload, decoded, version)
{
    public override byte[]? Metadata { get; } = metadata;
}
