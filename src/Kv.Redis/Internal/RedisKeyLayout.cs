using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The Redis keys of one namespace: its data keys and its index keys, all in the hash slot of its top-level (root)
/// namespace.
/// </summary>
/// <remarks>
/// <para>The root namespace name is a Redis Cluster hash tag, so everything under one root shares a slot: the key
/// <c>k</c> of namespace <c>root:child</c> is <c>{InstanceName}{root}:child::k</c> (instance name, <c>{</c>, root,
/// <c>}</c>, the rest of the path, <c>::</c>, the key). A <c>}</c> inside a root name is written <c>:7d</c> in the tag
/// (root names cannot contain <c>:</c>, so the mapping stays one-to-one and the tag is never cut short).</para>
/// <para>Each namespace has three index keys under the reserved <c>__kv:</c> key prefix (user keys cannot start with
/// <c>__</c>): <c>…::__kv:ord</c> (sorted set, score 0, members = keys), <c>…::__kv:exp</c> (sorted set, score =
/// absolute expiry in Redis milliseconds, keys with a TTL only) and <c>…::__kv:ix</c> (hash, key → record). Each root
/// has a version counter <c>{root}::__kv:ver</c> and a registry <c>{root}::__kv:ns</c> of its namespaces that hold
/// TTL entries (for <see cref="RedisKv.CollectExpiredAsync"/>).</para>
/// </remarks>
internal sealed class RedisKeyLayout
{
    /// <summary>The reserved key prefix of index keys, after a namespace's <c>::</c>.</summary>
    public const string IndexPrefix = "__kv:";

    public RedisKeyLayout(string instanceName, string namespacePath)
    {
        NamespacePath = namespacePath;
        int separator = namespacePath.IndexOf(KvKeyLayout.NamespaceSeparator, StringComparison.Ordinal);
        Root = separator < 0 ? namespacePath : namespacePath[..separator];
        string rest = separator < 0 ? string.Empty : namespacePath[separator..];
        string rootPrefix = RootPrefix(instanceName, Root);
        KeyPrefix = rootPrefix + rest + KvKeyLayout.KeySeparator;
        string rootKeys = rootPrefix + KvKeyLayout.KeySeparator + IndexPrefix;
        Ordered = KeyPrefix + IndexPrefix + "ord";
        Expiry = KeyPrefix + IndexPrefix + "exp";
        Index = KeyPrefix + IndexPrefix + "ix";
        Version = rootKeys + "ver";
        Registry = rootKeys + "ns";
    }

    /// <summary>The namespace path, e.g. <c>sessions:admin</c>.</summary>
    public string NamespacePath { get; }

    /// <summary>The top-level namespace name.</summary>
    public string Root { get; }

    /// <summary>What every data key of the namespace starts with: <c>{InstanceName}{root}:child::</c>.</summary>
    public string KeyPrefix { get; }

    /// <summary>The sorted set of the namespace's keys (score 0, lexicographic order).</summary>
    public RedisKey Ordered { get; }

    /// <summary>The sorted set of the namespace's keys with a TTL, scored by absolute expiry in Redis milliseconds.</summary>
    public RedisKey Expiry { get; }

    /// <summary>The hash of the namespace's records: key → <c>version:payloadLength:metadata</c>.</summary>
    public RedisKey Index { get; }

    /// <summary>The root's version counter.</summary>
    public RedisKey Version { get; }

    /// <summary>The root's registry of namespaces that hold TTL entries.</summary>
    public RedisKey Registry { get; }

    /// <summary>The physical key of a key of this namespace.</summary>
    public RedisKey DataKey(string key) => KeyPrefix + key;

    private static string RootPrefix(string instanceName, string root) =>
        string.Concat(instanceName, "{", root.Replace("}", ":7d", StringComparison.Ordinal), "}");
}
