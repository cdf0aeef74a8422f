using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Kv.Internal;

/// <summary>
/// How a Kv value is stored in its Redis string: the payload alone (UTF-8 JSON, or <c>0xFF</c> and raw bytes), or, for
/// an entry with metadata or a version, a header in front of it: <c>0xFE</c>, the version in ASCII digits (nothing when
/// the entry has none yet), <c>:</c>, the metadata's length in ASCII digits, <c>:</c>, the metadata (UTF-8 JSON), then
/// the payload. The Lua helpers <c>unpack_value</c> and <c>pack_value</c> (<see cref="RedisLua"/>) read and write the
/// same format.
/// </summary>
/// <remarks>
/// A payload never starts with <c>0xFE</c> (JSON starts with an ASCII character, raw bytes with <c>0xFF</c>, and
/// <c>0xFE</c> is never a byte of UTF-8), so a plain value needs no header: a plain write is one <c>SET</c> of the
/// payload, and integers stay digits that <c>INCRBY</c> works on. A value that starts with <c>0xFE</c> without a
/// well-formed header is read as a payload of its own, as the Lua helper reads it.
/// </remarks>
internal static class RedisValueFormat
{
    /// <summary>The first byte of a header.</summary>
    public const byte HeaderMarker = 0xFE;

    /// <summary>
    /// The stored form of a value Kv writes with a single command: its payload, behind a header without a version when
    /// it has metadata. (Versions are written by the scripts, with <c>pack_value</c>.)
    /// </summary>
    public static byte[] Pack(in KvValue value)
    {
        byte[] payload = value.Payload!;
        if (value.Metadata is not { } metadata)
        {
            return payload;
        }

        string numbers = string.Create(CultureInfo.InvariantCulture, $":{metadata.Length}:");
        byte[] stored = new byte[1 + numbers.Length + metadata.Length + payload.Length];
        stored[0] = HeaderMarker;
        Encoding.ASCII.GetBytes(numbers, stored.AsSpan(1));
        metadata.CopyTo(stored, 1 + numbers.Length);
        payload.CopyTo(stored, 1 + numbers.Length + metadata.Length);
        return stored;
    }

    /// <summary>Reads a stored value: its payload, metadata (or none) and version (0 for none).</summary>
    public static (byte[] Payload, byte[]? Metadata, long Version) Unpack(byte[] stored)
    {
        if (!TryReadHeader(stored, out long version, out int metadataStart, out int metadataLength))
        {
            return (stored, null, 0);
        }

        byte[]? metadata = metadataLength == 0 ? null : stored.AsSpan(metadataStart, metadataLength).ToArray();
        return (stored.AsSpan(metadataStart + metadataLength).ToArray(), metadata, version);
    }

    /// <summary>The payload of a stored value, without copying when it has no header.</summary>
    public static byte[] Payload(byte[] stored) =>
        TryReadHeader(stored, out _, out int metadataStart, out int metadataLength) ? stored.AsSpan(metadataStart + metadataLength).ToArray() : stored;

    /// <summary>
    /// Reads the header of a stored value: the version, and where the metadata starts and how long it is. False for a
    /// value without a (well-formed) header.
    /// </summary>
    private static bool TryReadHeader(ReadOnlySpan<byte> stored, out long version, out int metadataStart, out int metadataLength)
    {
        version = 0;
        metadataStart = 0;
        metadataLength = 0;
        if (stored.IsEmpty || stored[0] != HeaderMarker)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = stored[1..];
        int first = rest.IndexOf((byte)':');
        if (first < 0 || (first > 0 && (!Utf8Parser.TryParse(rest[..first], out version, out int used) || used != first || version <= 0)))
        {
            return false;
        }

        rest = rest[(first + 1)..];
        int second = rest.IndexOf((byte)':');
        if (second <= 0 || !Utf8Parser.TryParse(rest[..second], out metadataLength, out int used2) || used2 != second || metadataLength < 0)
        {
            version = 0;
            metadataLength = 0;
            return false;
        }

        metadataStart = 1 + first + 1 + second + 1;
        if (stored.Length < metadataStart + metadataLength)
        {
            version = 0;
            metadataStart = 0;
            metadataLength = 0;
            return false;
        }

        return true;
    }
}
