namespace Kv;

/// <summary>
/// A listing as a backend receives it (see <see cref="KvStoreBase"/>): validated bounds, prefix and pattern, with the
/// cursor already folded into the lower bound.
/// </summary>
/// <remarks>A backend returns, in <see cref="KvKeyComparer"/> order, the first <see cref="Limit"/> live keys for which
/// <see cref="Matches(string)"/> holds. It may use <see cref="Prefix"/> and the bounds to narrow what it reads.</remarks>
public sealed class KvListRequest
{
    /// <summary>
    /// Creates a request. <see cref="KvStoreBase"/> builds every request a backend receives; the constructor is public so
    /// that a backend's listing cores can be unit-tested with requests of its own.
    /// </summary>
    /// <param name="prefix">Every listed key starts with this text; empty for any.</param>
    /// <param name="pattern">The glob pattern every listed key matches, or <see langword="null"/>.</param>
    /// <param name="lowerBound">The lowest key that may be listed, or <see langword="null"/>.</param>
    /// <param name="lowerInclusive">Whether <paramref name="lowerBound"/> itself may be listed.</param>
    /// <param name="upperBound">The highest key that may be listed, or <see langword="null"/>.</param>
    /// <param name="upperInclusive">Whether <paramref name="upperBound"/> itself may be listed.</param>
    /// <param name="limit">How many keys to return at most: for a page, the page size plus one (the extra key tells
    /// the base that another page exists); for a count, <see cref="int.MaxValue"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    public KvListRequest(string prefix, KvKeyPattern? pattern, string? lowerBound, bool lowerInclusive, string? upperBound, bool upperInclusive, int limit)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Prefix = prefix;
        Pattern = pattern;
        LowerBound = lowerBound;
        LowerInclusive = lowerInclusive;
        UpperBound = upperBound;
        UpperInclusive = upperInclusive;
        Limit = limit;
    }

    /// <summary>Every listed key starts with this text; empty for any.</summary>
    public string Prefix { get; }

    /// <summary>The glob pattern every listed key matches, or <see langword="null"/>.</summary>
    public KvKeyPattern? Pattern { get; }

    /// <summary>The lowest key that may be listed, or <see langword="null"/>.</summary>
    public string? LowerBound { get; }

    /// <summary>Whether <see cref="LowerBound"/> itself may be listed.</summary>
    public bool LowerInclusive { get; }

    /// <summary>The highest key that may be listed, or <see langword="null"/>.</summary>
    public string? UpperBound { get; }

    /// <summary>Whether <see cref="UpperBound"/> itself may be listed.</summary>
    public bool UpperInclusive { get; }

    /// <summary>
    /// How many keys to return at most. For a page it is the page size plus one: return that many when they exist, and
    /// the base turns the extra key into <see cref="KvListResult.Cursor"/>. For a count, <see cref="int.MaxValue"/>.
    /// </summary>
    public int Limit { get; }

    /// <summary>Whether a key is within the bounds, has the prefix and matches the pattern.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether the key belongs in the listing.</returns>
    public bool Matches(string key) =>
        IsAboveLowerBound(key) && IsBelowUpperBound(key)
        && key.StartsWith(Prefix, StringComparison.Ordinal)
        && (Pattern is null || Pattern.IsMatch(key));

    /// <summary>Whether a key is at or above the lower bound (as the bound's inclusiveness says).</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether the key is not below the range.</returns>
    public bool IsAboveLowerBound(string key)
    {
        if (LowerBound is null)
        {
            return true;
        }

        int c = KvKeyComparer.Instance.Compare(key, LowerBound);
        return c > 0 || (c == 0 && LowerInclusive);
    }

    /// <summary>Whether a key is at or below the upper bound (as the bound's inclusiveness says). Keys come in order,
    /// so a backend can stop at the first key for which this is false.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether the key is not past the range.</returns>
    public bool IsBelowUpperBound(string key)
    {
        if (UpperBound is null)
        {
            return true;
        }

        int c = KvKeyComparer.Instance.Compare(key, UpperBound);
        return c < 0 || (c == 0 && UpperInclusive);
    }
}
