using System.Text.Json;
using Kv;

namespace WebApp;

/// <summary>The generic <c>/kv/{ns}/{key}</c> endpoint's own namespace, and its check of client JSON.</summary>
public static class ScratchKv
{
    /// <summary>The top-level namespace of the generic <c>/kv/{ns}/{key}</c> endpoint.</summary>
    public const string TopLevel = "kv";

    /// <summary>The generic endpoint's namespace <paramref name="ns"/>: a child of <see cref="TopLevel"/>.</summary>
    public static IAtomicKvStore Namespace(AtomicKvAdaptor kv, string ns) => kv.Namespace(TopLevel).Namespace(ns);

    /// <summary>Whether every string and property name in <paramref name="value"/> is well-formed UTF-16.</summary>
    public static bool IsValidUnicode(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                try
                {
                    return IsWellFormed(value.GetString());
                }
                catch (InvalidOperationException)
                {
                    return false; // the reader refuses to unescape it
                }

            case JsonValueKind.Array:
                foreach (JsonElement item in value.EnumerateArray())
                {
                    if (!IsValidUnicode(item))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Object:
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    if (!IsWellFormed(property.Name) || !IsValidUnicode(property.Value))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    private static bool IsWellFormed(string? text)
    {
        for (int i = 0; text is not null && i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
