namespace Kv;

/// <summary>
/// The order of keys in a listing: by Unicode code point, which is the order of the keys' UTF-8 bytes (and Redis's
/// lexicographic order). It differs from <see cref="StringComparer.Ordinal"/> only where a character outside the Basic
/// Multilingual Plane (a surrogate pair, e.g. an emoji) meets one from U+E000 to U+FFFF.
/// </summary>
public sealed class KvKeyComparer : IComparer<string>
{
    private KvKeyComparer()
    {
    }

    /// <summary>The comparer.</summary>
    public static KvKeyComparer Instance { get; } = new();

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int length = Math.Min(x.Length, y.Length);
        int i = x.AsSpan(0, length).CommonPrefixLength(y.AsSpan(0, length));
        if (i == length)
        {
            return x.Length.CompareTo(y.Length);
        }

        // UTF-16 order and code point order agree except for surrogates (D800-DFFF), which stand for code points above
        // every BMP character: lift them above E000-FFFF before comparing.
        return Weight(x[i]).CompareTo(Weight(y[i]));
    }

    private static int Weight(char c) => c >= '\uD800' && c <= '\uDFFF' ? c + 0x2000 : c >= '\uE000' ? c - 0x800 : c;
}
