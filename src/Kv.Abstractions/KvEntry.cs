namespace Kv;

/// <summary>A live entry read from a store: its value and its expiry.</summary>
/// <typeparam name="T">The type the value was read as.</typeparam>
public sealed class KvEntry<T>
{
    /// <summary>Creates an entry.</summary>
    /// <param name="value">The value; may be a stored <see langword="null"/>.</param>
    /// <param name="expiresAt">When the entry expires, or <see langword="null"/> when it is permanent.</param>
    public KvEntry(T? value, DateTimeOffset? expiresAt)
    {
        Value = value;
        ExpiresAt = expiresAt;
    }

    /// <summary>The value. <see langword="null"/> here means a stored <see langword="null"/>: the key exists.</summary>
    public T? Value { get; }

    /// <summary>When the entry expires (UTC), or <see langword="null"/> when it is permanent. On a backend with a
    /// clock of its own (Redis) it is that backend's remaining TTL placed on the application's clock.</summary>
    public DateTimeOffset? ExpiresAt { get; }
}
