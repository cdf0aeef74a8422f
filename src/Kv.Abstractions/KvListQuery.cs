namespace Kv;

/// <summary>
/// What to list from a namespace: optionally a prefix, a glob pattern and a key range, all of which a key must
/// satisfy; a page size; and the cursor of the previous page.
/// </summary>
/// <remarks>
/// Keys come in lexicographic order by Unicode code point (the order of their UTF-8 bytes, which is also Redis's
/// order). Paging with <see cref="Cursor"/> returns every key that stays live throughout exactly once; a key
/// written or deleted while paging may or may not be returned, but never twice.
/// </remarks>
public sealed class KvListQuery
{
    /// <summary>The default and largest page size: 1000 keys.</summary>
    public const int DefaultLimit = 1000;

    /// <summary>Only keys that start with this text; <see langword="null"/> for any.</summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Only keys that match this glob pattern; <see langword="null"/> for any. <c>*</c> matches any run of characters,
    /// <c>?</c> one character, <c>[abc]</c> one of the listed characters (<c>[a-z]</c> a range, <c>[^abc]</c> any
    /// other), and <c>\</c> makes the next character literal. The pattern is matched against the keys of this
    /// namespace only, by character (not by byte), so nothing in it can reach another namespace.
    /// </summary>
    public string? Pattern { get; init; }

    /// <summary>The lower bound of a range scan; <see langword="null"/> for none.</summary>
    public string? Start { get; init; }

    /// <summary>Whether <see cref="Start"/> itself is in the range (default <see langword="true"/>).</summary>
    public bool StartInclusive { get; init; } = true;

    /// <summary>The upper bound of a range scan; <see langword="null"/> for none.</summary>
    public string? End { get; init; }

    /// <summary>Whether <see cref="End"/> itself is in the range (default <see langword="false"/>).</summary>
    public bool EndInclusive { get; init; }

    /// <summary>The most keys a page holds: 1 to <see cref="DefaultLimit"/> (the default).</summary>
    public int Limit { get; init; } = DefaultLimit;

    /// <summary>The <see cref="KvListResult.Cursor"/> of the previous page, or <see langword="null"/> for the first.</summary>
    public string? Cursor { get; init; }

    /// <summary>A range scan: the keys from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    /// <param name="start">The lower bound, or <see langword="null"/>.</param>
    /// <param name="end">The upper bound, or <see langword="null"/>.</param>
    /// <returns>A query.</returns>
    public static KvListQuery Range(string? start, string? end) => new() { Start = start, End = end };
}
