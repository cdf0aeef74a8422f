using System.Text.Json;

namespace Kv;

/// <summary>One key of a listing, with its expiry and metadata.</summary>
public sealed class KvKeyInfo
{
    /// <summary>Creates a listed key.</summary>
    /// <param name="name">The key.</param>
    /// <param name="expiresAt">When it expires, or <see langword="null"/> when it is permanent.</param>
    /// <param name="metadata">Its metadata, or <see langword="null"/>.</param>
    public KvKeyInfo(string name, DateTimeOffset? expiresAt, JsonElement? metadata)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        ExpiresAt = expiresAt;
        Metadata = metadata;
    }

    /// <summary>The key, as given to the store (without any namespace).</summary>
    public string Name { get; }

    /// <summary>When the key expires, or <see langword="null"/> when it is permanent.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The key's metadata, or <see langword="null"/> when it has none.</summary>
    public JsonElement? Metadata { get; }
}
