using System.Buffers.Text;

namespace Kv.Internal;

/// <summary>
/// A namespace index record (<c>ix</c>): <c>version:payloadLength:metadata</c>, the metadata being the entry's UTF-8
/// JSON, or nothing when it has none. The two numbers are ASCII decimal, so the first two <c>:</c> end them whatever
/// the metadata holds.
/// </summary>
internal readonly record struct IndexRecord(long Version, int PayloadLength, byte[]? Metadata)
{
    /// <summary>Reads a record; a missing one (a key written behind Kv's back) has version 0 and no metadata.</summary>
    public static IndexRecord Parse(byte[]? record)
    {
        if (record is not { Length: > 0 })
        {
            return default;
        }

        ReadOnlySpan<byte> span = record;
        int first = span.IndexOf((byte)':');
        int second = first < 0 ? -1 : span[(first + 1)..].IndexOf((byte)':');
        if (second < 0
            || !Utf8Parser.TryParse(span[..first], out long version, out int used1) || used1 != first
            || !Utf8Parser.TryParse(span.Slice(first + 1, second), out int length, out int used2) || used2 != second)
        {
            throw new KvException(KvErrorCode.StoreOperationFailed, "A Redis index record of this namespace is malformed.");
        }

        ReadOnlySpan<byte> metadata = span[(first + second + 2)..];
        return new IndexRecord(version, length, metadata.IsEmpty ? null : metadata.ToArray());
    }
}
