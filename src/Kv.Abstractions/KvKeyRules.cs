using System.Globalization;

namespace Kv;

/// <summary>
/// The key and namespace rules of the Kv contract, in one place. Every backend validates through this
/// class (the <see cref="KvStoreBase"/> does it for them), so a key valid on one backend is valid on all.
/// </summary>
public static class KvKeyRules
{
    /// <summary>The longest key or namespace name, in UTF-16 code units (<see cref="string.Length"/>).</summary>
    public const int MaxKeyLength = 255;

    /// <summary>The prefix reserved for Kv's own use; keys and namespace names may not start with it.</summary>
    public const string ReservedPrefix = "__";

    /// <summary>Throws when <paramref name="key"/> breaks the key rules.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is <see langword="null"/>.</exception>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidKey"/>, with the rule that was broken.</exception>
    public static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string? problem = FindProblem(key);
        if (problem is not null)
        {
            throw new KvException(KvErrorCode.InvalidKey, "The key is invalid: " + problem);
        }
    }

    /// <summary>Tells whether <paramref name="key"/> is a valid key.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when the key follows every rule.</returns>
    public static bool IsValidKey(string? key) => key is not null && FindProblem(key) is null;

    /// <summary>Throws when <paramref name="name"/> is not a valid namespace name.</summary>
    /// <param name="name">The namespace name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KvException"><see cref="KvErrorCode.EmptyNamespace"/> for an empty or whitespace-only name;
    /// <see cref="KvErrorCode.InvalidNamespace"/> for any other broken rule.</exception>
    public static void ValidateNamespace(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new KvException(KvErrorCode.EmptyNamespace, "A namespace name may not be empty or whitespace only.");
        }

        string? problem = FindProblem(name);
        if (problem is null && name.Contains(KvKeyLayout.NamespaceSeparator, StringComparison.Ordinal))
        {
            problem = $"a namespace name may not contain '{KvKeyLayout.NamespaceSeparator}', the separator of the key layout.";
        }

        if (problem is not null)
        {
            throw new KvException(KvErrorCode.InvalidNamespace, "The namespace name is invalid: " + problem);
        }
    }

    // The message names the rule and the position, never the key itself: keys may carry user data.
    private static string? FindProblem(string key)
    {
        if (key.Length == 0)
        {
            return "it is empty.";
        }

        if (key.Length > MaxKeyLength)
        {
            return $"it has {key.Length} characters; at most {MaxKeyLength} are allowed.";
        }

        if (key.StartsWith(ReservedPrefix, StringComparison.Ordinal))
        {
            return $"it starts with '{ReservedPrefix}', which is reserved.";
        }

        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
            {
                return string.Create(CultureInfo.InvariantCulture, $"it contains the control character U+{(int)c:X4} at index {i}.");
            }

            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
                {
                    i++;
                    continue;
                }

                return string.Create(CultureInfo.InvariantCulture, $"it contains a lone surrogate at index {i}, which is not valid UTF-8.");
            }
        }

        return null;
    }
}
