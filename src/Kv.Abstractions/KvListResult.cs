namespace Kv;

/// <summary>One page of a listing.</summary>
public sealed class KvListResult
{
    /// <summary>Creates a page.</summary>
    /// <param name="keys">The keys, in order.</param>
    /// <param name="cursor">The cursor of the next page, or <see langword="null"/> when this is the last one.</param>
    public KvListResult(IReadOnlyList<KvKeyInfo> keys, string? cursor)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Keys = keys;
        Cursor = cursor;
    }

    /// <summary>The keys of this page, in lexicographic order (by Unicode code point, the order of their UTF-8 bytes).</summary>
    public IReadOnlyList<KvKeyInfo> Keys { get; }

    /// <summary>Whether this is the last page: no further key matched when it was read.</summary>
    public bool ListComplete => Cursor is null;

    /// <summary>An opaque cursor: pass it in <see cref="KvListQuery.Cursor"/> (with the same query) for the next page.
    /// <see langword="null"/> when the listing is complete.</summary>
    public string? Cursor { get; }
}
