using System.Text.Json;

namespace Kv;

/// <summary>A live entry read from a store: its value, expiry, metadata and version.</summary>
/// <typeparam name="T">The type the value was read as.</typeparam>
public sealed class KvEntry<T>
{
    /// <summary>Creates an entry.</summary>
    /// <param name="value">The value; may be a stored <see langword="null"/>.</param>
    /// <param name="expiresAt">When the entry expires, or <see langword="null"/> when it is permanent.</param>
    public KvEntry(T? value, DateTimeOffset? expiresAt)
        : this(value, expiresAt, metadata: null, version: 0)
    {
    }

    /// <summary>Creates an entry.</summary>
    /// <param name="value">The value; may be a stored <see langword="null"/>.</param>
    /// <param name="expiresAt">When the entry expires, or <see langword="null"/> when it is permanent.</param>
    /// <param name="metadata">The entry's metadata, or <see langword="null"/>.</param>
    /// <param name="version">The entry's version.</param>
    public KvEntry(T? value, DateTimeOffset? expiresAt, JsonElement? metadata, long version)
    {
        Value = value;
        ExpiresAt = expiresAt;
        Metadata = metadata;
        Version = version;
    }

    /// <summary>The value. <see langword="null"/> here means a stored <see langword="null"/>: the key exists.</summary>
    public T? Value { get; }

    /// <summary>When the entry expires (UTC), or <see langword="null"/> when it is permanent. On a backend with a
    /// clock of its own (Redis) it is that backend's remaining TTL placed on the application's clock.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The metadata stored with the value (<see cref="KvSetOptions.Metadata"/>), or <see langword="null"/>
    /// when it has none. Read it with <c>JsonSerializer.Deserialize</c>.</summary>
    public JsonElement? Metadata { get; }

    /// <summary>
    /// The entry's version: assigned on every write of the value (set, set-if-not-exists, increment, a transaction),
    /// never on a TTL change, and strictly greater than every version assigned before it under the same top-level
    /// namespace, so no two writes there share one (a transaction's writes share its single version). Pass it to
    /// <see cref="KvTransaction.Check(IKvStore, string, long?)"/> to commit only if the entry is still this one.
    /// On memory, a key re-created by a write that raced its own deletion may carry a version lower than the one the
    /// deleted entry had; versions still never repeat, so checks are unaffected, and transactions (which locks use)
    /// are ordered. On Redis a single-key write stores no version (so it costs one command): the entry gets its
    /// version when it is first read with <c>GetEntryAsync</c>, from the same strictly increasing counter, and the
    /// next write erases it, so a version still names exactly one write; transactions write theirs directly.
    /// </summary>
    public long Version { get; }
}
