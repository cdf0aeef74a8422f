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
    public KvValue(byte[] payload, object? decoded = null, DateTimeOffset? expiresAt = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        Payload = payload;
        Decoded = decoded;
        ExpiresAt = expiresAt;
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
}
