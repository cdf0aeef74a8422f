namespace Kv;

/// <summary>
/// A glob pattern over keys: <c>*</c> any run of characters, <c>?</c> one character, <c>[abc]</c> one of a set,
/// <c>[a-z]</c> a range, <c>[^abc]</c> (or <c>[!abc]</c>) any character not in the set, <c>\x</c> the character x.
/// Matching is by character (a surrogate pair counts as one), against a key of one namespace only.
/// </summary>
/// <remarks>Every backend matches with this class, so a pattern means the same on each of them.</remarks>
public sealed class KvKeyPattern
{
    private readonly int[] _pattern;

    // For each '[' that opens a set, the index of its ']' (found once here, not at every match step).
    private readonly int[] _setEnds;

    /// <summary>Parses a pattern.</summary>
    /// <param name="pattern">The pattern text.</param>
    /// <exception cref="ArgumentException">The pattern ends inside a <c>[...]</c> set or after a lone <c>\</c>, or
    /// contains a lone surrogate (no key does).</exception>
    public KvKeyPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (HasLoneSurrogate(pattern))
        {
            throw new ArgumentException("The pattern contains a lone surrogate; keys are well-formed UTF-16.", nameof(pattern));
        }

        Text = pattern;
        _pattern = ToCodePoints(pattern);
        LiteralPrefix = Validate(_pattern);
        _setEnds = SetEnds(_pattern);

        // An empty pattern matches only the empty string, which is never a key (as in Redis's glob).
        MatchesAll = _pattern.Length > 0 && _pattern.All(c => c == '*');
    }

    /// <summary>The pattern text.</summary>
    public string Text { get; }

    /// <summary>The literal text every matching key starts with (up to the first wildcard); may be empty.</summary>
    public string LiteralPrefix { get; }

    /// <summary>Whether the pattern matches every key (it is one or more <c>*</c> and nothing else).</summary>
    public bool MatchesAll { get; }

    /// <summary>Tells whether <paramref name="key"/> matches.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether it matches.</returns>
    public bool IsMatch(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return MatchesAll || Match(_pattern, _setEnds, key);
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static int[] ToCodePoints(string text)
    {
        var points = new List<int>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                points.Add(char.ConvertToUtf32(text[i], text[i + 1]));
                i++;
            }
            else
            {
                points.Add(text[i]);
            }
        }

        return [.. points];
    }

    internal static bool HasLoneSurrogate(ReadOnlySpan<char> text)
    {
        int first = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0)
        {
            return false;
        }

        for (int i = first; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    // The parameter carries the constructor's name, so an ArgumentException names the argument the caller passed.
    private static string Validate(int[] pattern)
    {
        int[] p = pattern;
        var prefix = new System.Text.StringBuilder();
        bool literal = true;
        for (int i = 0; i < p.Length; i++)
        {
            switch (p[i])
            {
                case '\\':
                    if (++i == p.Length)
                    {
                        throw new ArgumentException("The pattern ends with a lone '\\'.", nameof(pattern));
                    }

                    if (literal)
                    {
                        prefix.Append(char.ConvertFromUtf32(p[i]));
                    }

                    break;
                case '[':
                    literal = false;
                    i = SetEnd(p, i) ?? throw new ArgumentException("The pattern has a '[' without its ']'.", nameof(pattern));
                    break;
                case '*' or '?':
                    literal = false;
                    break;
                default:
                    if (literal)
                    {
                        prefix.Append(char.ConvertFromUtf32(p[i]));
                    }

                    break;
            }
        }

        return prefix.ToString();
    }

    private static int[] SetEnds(int[] p)
    {
        var ends = new int[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == '\\')
            {
                i++;
            }
            else if (p[i] == '[')
            {
                ends[i] = SetEnd(p, i)!.Value;
                i = ends[i];
            }
        }

        return ends;
    }

    // The index of the ']' that closes the set opened at `open`, or null. A ']' right after '[' or '[^' is literal.
    private static int? SetEnd(int[] p, int open)
    {
        int i = open + 1;
        if (i < p.Length && (p[i] == '^' || p[i] == '!'))
        {
            i++;
        }

        if (i < p.Length && p[i] == ']')
        {
            i++;
        }

        for (; i < p.Length; i++)
        {
            if (p[i] == '\\')
            {
                i++;
            }
            else if (p[i] == ']')
            {
                return i;
            }
        }

        return null;
    }

    // Matches the key's code points without copying them out (a listing calls this once per key). Iterative glob with
    // one backtrack point for the last '*': linear in practice, never exponential.
    private static bool Match(int[] p, int[] setEnds, string s)
    {
        int pi = 0, si = 0;
        int starP = -1, starS = -1;
        while (si < s.Length)
        {
            int c = CodePointAt(s, si, out int width);
            if (pi < p.Length)
            {
                int pc = p[pi];
                if (pc == '*')
                {
                    starP = ++pi;
                    starS = si;
                    continue;
                }

                bool matched = pc switch
                {
                    '?' => true,
                    '[' => InSet(p, pi + 1, setEnds[pi], c),
                    '\\' => p[pi + 1] == c,
                    _ => pc == c,
                };
                if (matched)
                {
                    pi = pc switch { '[' => setEnds[pi] + 1, '\\' => pi + 2, _ => pi + 1 };
                    si += width;
                    continue;
                }
            }

            if (starP < 0)
            {
                return false;
            }

            // Let the last '*' take one more character, and try the rest of the pattern from there.
            pi = starP;
            CodePointAt(s, starS, out int skipped);
            starS += skipped;
            si = starS;
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }

    // The code point at s[i] (a surrogate pair counts as one) and how many chars it takes.
    private static int CodePointAt(string s, int i, out int width)
    {
        if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(s[i], s[i + 1]);
        }

        width = 1;
        return s[i];
    }

    private static bool InSet(int[] p, int start, int end, int c)
    {
        bool negate = p[start] == '^' || p[start] == '!';
        int i = negate ? start + 1 : start;
        bool found = false;
        while (i < end)
        {
            int lo = p[i];
            if (lo == '\\' && i + 1 < end)
            {
                lo = p[++i];
            }

            if (i + 2 < end && p[i + 1] == '-')
            {
                int hi = p[i + 2];
                if (hi == '\\' && i + 3 < end)
                {
                    hi = p[i + 3];
                    i++;
                }

                if (c >= Math.Min(lo, hi) && c <= Math.Max(lo, hi))
                {
                    found = true;
                }

                i += 3;
            }
            else
            {
                if (c == lo)
                {
                    found = true;
                }

                i++;
            }
        }

        return found != negate;
    }
}
