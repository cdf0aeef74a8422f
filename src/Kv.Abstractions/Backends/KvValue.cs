using System.Runtime.CompilerServices;

namespace Kv;

/// <summary>
/// A value as a backend stores it: the encoded payload, plus what a backend knows about it.
/// Backends move these; only <see cref="KvValueSerializer"/> reads or writes the payload.
/// </summary>
/// <remarks>
/// The payload is UTF-8 JSON as System.Text.Json writes it (so an integer is its decimal digits and Redis can
/// <c>INCRBY</c> it), or, for a <see cref="byte"/> array, <see cref="KvValueSerializer.RawBytesMarker"/>
/// followed by the bytes. No JSON text starts with that byte, so the two can never be confused.
/// </remarks>
public readonly struct KvValue
{
    /// <summary>Creates a stored value.</summary>
    /// <param name="payload">The encoded payload.</param>
    /// <param name="decoded">An immutable decoded copy that an in-process backend may hand back instead of decoding
    /// the payload again; <see langword="null"/> when there is none.</param>
    /// <param name="expiresAt">When the entry expires, when the backend read it; otherwise <see langword="null"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public KvValue(byte[] payload, object? decoded = null, DateTimeOffset? expiresAt = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        Payload = payload;
        Decoded = decoded;
        ExpiresAt = expiresAt;
    }

    /// <summary>Creates a stored value with its metadata and version.</summary>
    /// <param name="payload">The encoded payload.</param>
    /// <param name="decoded">An immutable decoded copy, or <see langword="null"/>.</param>
    /// <param name="expiresAt">When the entry expires, or <see langword="null"/>.</param>
    /// <param name="metadata">The entry's metadata as UTF-8 JSON, or <see langword="null"/> when it has none.</param>
    /// <param name="version">The entry's version (see <see cref="Version"/>); 0 when the backend was not asked.</param>
    public KvValue(byte[] payload, object? decoded, DateTimeOffset? expiresAt, byte[]? metadata, long version)
        : this(payload, decoded, expiresAt)
    {
        Metadata = metadata;
        Version = version;
    }

    /// <summary>A missing key.</summary>
    public static KvValue Missing => default;

    /// <summary>Whether the key exists.</summary>
    public bool HasValue => Payload is not null;

    /// <summary>The encoded payload; <see langword="null"/> for a missing key. Never mutate it.</summary>
    public byte[]? Payload { get; }

    /// <summary>An immutable decoded copy of the value (a string or a primitive), or <see langword="null"/>.</summary>
    public object? Decoded { get; }

    /// <summary>When the entry expires, or <see langword="null"/> when it is permanent or the backend was not asked.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The entry's metadata as UTF-8 JSON (at most <see cref="KvSetOptions.MaxMetadataBytes"/>), or
    /// <see langword="null"/> when it has none or the backend was not asked. Never mutate it.</summary>
    public byte[]? Metadata { get; }

    /// <summary>
    /// The entry's version: a positive number the backend assigns on every write of the value, strictly greater
    /// than every version assigned before it to any entry under the same top-level namespace. 0 when the backend
    /// was not asked for it.
    /// </summary>
    public long Version { get; }

    /// <summary>Returns this value with its metadata replaced.</summary>
    /// <param name="metadata">The metadata as UTF-8 JSON, or <see langword="null"/>.</param>
    /// <returns>The value with the metadata.</returns>
    public KvValue WithMetadata(byte[]? metadata) => new(Payload!, Decoded, ExpiresAt, metadata, Version);
}
