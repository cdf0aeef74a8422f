using System.Buffers.Text;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

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
    // The payload, or what it is made from on demand (see Payload): a byte array; a string of printable ASCII that needs
    // no JSON escaping, whose payload is the string in quotes (the serializer's plain strings, so an in-process backend
    // stores one string and no array); or a KvIntegerPayload, whose payload is its digits (an in-process counter).
    // Null for a missing key. Kept to 40 bytes in all (no DateTimeOffset?), since values travel by value.
    private readonly object? _payload;

    // UTC ticks of the expiry plus one; 0 when there is none.
    private readonly long _expiry;

    /// <summary>Creates a stored value.</summary>
    /// <param name="payload">The encoded payload.</param>
    /// <param name="decoded">An immutable decoded copy that an in-process backend may hand back instead of decoding
    /// the payload again; <see langword="null"/> when there is none.</param>
    /// <param name="expiresAt">When the entry expires, when the backend read it; otherwise <see langword="null"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public KvValue(byte[] payload, object? decoded = null, DateTimeOffset? expiresAt = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        _payload = payload;
        Decoded = decoded;
        _expiry = expiresAt is { } at ? at.UtcTicks + 1 : 0;
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

    // For the serializer and in-process backends: the payload in any of its forms (see _payload), never null.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal KvValue(object payloadSource, object? decoded, long expiresAtTicks = 0, byte[]? metadata = null, long version = 0)
    {
        _payload = payloadSource;
        Decoded = decoded;
        _expiry = expiresAtTicks == 0 ? 0 : expiresAtTicks + 1;
        Metadata = metadata;
        Version = version;
    }

    /// <summary>A missing key.</summary>
    public static KvValue Missing => default;

    /// <summary>Whether the key exists.</summary>
    public bool HasValue => _payload is not null;

    /// <summary>The encoded payload; <see langword="null"/> for a missing key. Never mutate it.</summary>
    /// <remarks>A value that an in-process backend keeps in another form (a plain string, a counter) builds its
    /// payload on each read of this property.</remarks>
    public byte[]? Payload => _payload as byte[] ?? BuildPayload(_payload);

    /// <summary>An immutable decoded copy of the value (a string or a primitive), or <see langword="null"/>.</summary>
    public object? Decoded { get; }

    /// <summary>When the entry expires, or <see langword="null"/> when it is permanent or the backend was not asked.</summary>
    public DateTimeOffset? ExpiresAt => _expiry == 0 ? null : new DateTimeOffset(_expiry - 1, TimeSpan.Zero);

    /// <summary>The entry's metadata as UTF-8 JSON (at most <see cref="KvSetOptions.MaxMetadataBytes"/>), or
    /// <see langword="null"/> when it has none or the backend was not asked. Never mutate it.</summary>
    public byte[]? Metadata { get; }

    /// <summary>
    /// The entry's version: a positive number the backend assigns on every write of the value, strictly greater
    /// than every version assigned before it to any entry under the same top-level namespace. 0 when the backend
    /// was not asked for it.
    /// </summary>
    public long Version { get; }

    /// <summary>The payload in the form it is kept (a byte array, a plain string or a <see cref="KvIntegerPayload"/>);
    /// <see langword="null"/> for a missing key.</summary>
    internal object? PayloadSource => _payload;

    /// <summary>Returns this value with its metadata replaced.</summary>
    /// <param name="metadata">The metadata as UTF-8 JSON, or <see langword="null"/>.</param>
    /// <returns>The value with the metadata.</returns>
    public KvValue WithMetadata(byte[]? metadata) => new(_payload!, Decoded, _expiry == 0 ? 0 : _expiry - 1, metadata, Version);

    /// <summary>The length of the payload that <paramref name="payloadSource"/> stands for, without building it.</summary>
    internal static int PayloadLength(object payloadSource) => payloadSource switch
    {
        byte[] bytes => bytes.Length,
        string plain => plain.Length + 2,
        KvIntegerPayload integer => KvIntegerPayload.DigitCount(integer.Value),
        _ => throw new InvalidOperationException("Unknown payload form."),
    };

    /// <summary>The payload that <paramref name="payloadSource"/> stands for: built for a plain string or an integer.</summary>
    internal static byte[]? BuildPayload(object? payloadSource)
    {
        switch (payloadSource)
        {
            case null:
                return null;
            case byte[] bytes:
                return bytes;
            case string plain:
                byte[] quoted = new byte[plain.Length + 2];
                quoted[0] = (byte)'"';
                Ascii.FromUtf16(plain, quoted.AsSpan(1, plain.Length), out _);
                quoted[^1] = (byte)'"';
                return quoted;
            case KvIntegerPayload integer:
                Span<byte> digits = stackalloc byte[20];
                Utf8Formatter.TryFormat(integer.Value, digits, out int written);
                return digits[..written].ToArray();
            default:
                throw new InvalidOperationException("Unknown payload form.");
        }
    }
}

/// <summary>
/// The payload of an in-process counter: a 64-bit integer whose payload is its decimal digits, with the version of the
/// write that stored it. Immutable; an in-process backend changes a counter by swapping in a new one. A negative
/// <c>version</c> marks the last one of its entry (<see cref="IsFinal"/>): the entry is being replaced or removed, and
/// no increment may swap in another.
/// </summary>
internal sealed class KvIntegerPayload(long value, long version)
{
    /// <summary>The integer.</summary>
    public long Value { get; } = value;

    private readonly long _version = version;

    /// <summary>The version of the write that stored it.</summary>
    public long Version => Math.Abs(_version);

    /// <summary>Whether no increment may replace it any more (see the class).</summary>
    public bool IsFinal => _version < 0;

    /// <summary>The same integer and version, final.</summary>
    public KvIntegerPayload ToFinal() => new(Value, -Math.Abs(_version));

    /// <summary>How many bytes the decimal form of <paramref name="value"/> takes (with a minus sign).</summary>
    public static int DigitCount(long value) =>
        value < 0 ? 1 + DigitCount(value == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)-value) : DigitCount((ulong)value);

    // Without a loop (an increment counts the digits of two values): floor(log10) from the bit length, corrected by one
    // comparison with a power of ten. v | 1 has as many digits as v (no power of ten above 1 is odd) and is never 0.
    private static int DigitCount(ulong value)
    {
        ulong v = value | 1;
        int guess = ((BitOperations.Log2(v) + 1) * 1233) >> 12;
        return guess + (v < PowersOfTen[guess] ? 0 : 1);
    }

    private static readonly ulong[] PowersOfTen =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];
}
