using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The Redis keys of one namespace: its data keys and its root's version counter, all in the hash slot of its
/// top-level (root) namespace.
/// </summary>
/// <remarks>
/// <para>The root namespace name is a Redis Cluster hash tag, so everything under one root shares a slot: the key
/// <c>k</c> of namespace <c>root:child</c> is <c>{InstanceName}{root}:child::k</c> (instance name, <c>{</c>, root,
/// <c>}</c>, the rest of the path, <c>::</c>, the key). A <c>}</c> inside a root name is written <c>:7d</c> in the tag
/// (root names cannot contain <c>:</c>, so the mapping stays one-to-one and the tag is never cut short).</para>
/// <para>Kv's own keys use the reserved key prefix <c>__kv:</c> after a namespace's <c>::</c> (user keys cannot start
/// with <c>__</c>): each root's version counter <c>{root}::__kv:ver</c>, and the rate limiters' state keys. There is no
/// index: listing scans the keyspace (see <see cref="ScanPattern"/>).</para>
/// </remarks>
internal sealed class RedisKeyLayout
{
    /// <summary>The reserved key prefix of Kv's own keys, after a namespace's <c>::</c>.</summary>
    public const string ReservedPrefix = "__kv:";

    public RedisKeyLayout(string instanceName, string namespacePath)
    {
        int separator = namespacePath.IndexOf(KvKeyLayout.NamespaceSeparator, StringComparison.Ordinal);
        Root = separator < 0 ? namespacePath : namespacePath[..separator];
        string rest = separator < 0 ? string.Empty : namespacePath[separator..];
        string rootPrefix = RootPrefix(instanceName, Root);
        KeyPrefix = rootPrefix + rest + KvKeyLayout.KeySeparator;
        Version = rootPrefix + KvKeyLayout.KeySeparator + ReservedPrefix + "ver";
    }

    /// <summary>The top-level namespace name.</summary>
    public string Root { get; }

    /// <summary>What every data key of the namespace starts with: <c>{InstanceName}{root}:child::</c>.</summary>
    public string KeyPrefix { get; }

    /// <summary>The root's version counter.</summary>
    public RedisKey Version { get; }

    /// <summary>The physical key of a key of this namespace.</summary>
    public RedisKey DataKey(string key) => KeyPrefix + key;

    /// <summary>
    /// The <c>SCAN MATCH</c> pattern of the namespace's keys that start with <paramref name="keyPrefix"/>: the physical
    /// prefix with every glob character escaped, then <c>*</c>. Keys of child namespaces never match (their path goes on
    /// where this one has <c>::</c>). As a <see cref="RedisKey"/> it routes the SCAN to the primary of the root's slot.
    /// </summary>
    public RedisKey ScanPattern(string keyPrefix) => EscapeGlob(KeyPrefix + keyPrefix) + "*";

    /// <summary>Escapes the glob characters of SCAN MATCH (<c>*</c>, <c>?</c>, <c>[</c>, <c>]</c>, <c>\</c>).</summary>
    public static string EscapeGlob(string text)
    {
        var escaped = new System.Text.StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    private static string RootPrefix(string instanceName, string root) =>
        string.Concat(instanceName, "{", root.Replace("}", ":7d", StringComparison.Ordinal), "}");
}
