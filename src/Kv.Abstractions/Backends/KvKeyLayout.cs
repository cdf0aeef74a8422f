namespace Kv;

/// <summary>
/// The physical key layout every backend shares: how a namespace path and a key become one string.
/// </summary>
/// <remarks>
/// <para>A namespace path is its names joined by <see cref="NamespaceSeparator"/> (<c>:</c>), and a physical
/// key is the path, then <see cref="KeySeparator"/> (<c>::</c>), then the key as given:</para>
/// <code>
/// Namespace("sessions")                      key "user:1"  →  sessions::user:1
/// Namespace("sessions").Namespace("admin")   key "user:1"  →  sessions:admin::user:1
/// </code>
/// <para>Namespace names may not contain <c>:</c> and are never empty, so the first <c>::</c> in a physical
/// key always ends the path, and everything after it is the key, whatever characters the key holds. The
/// mapping is therefore one-to-one: namespace <c>a</c> with key <c>b:c</c> is <c>a::b:c</c>, namespace
/// <c>a</c>→<c>b</c> with key <c>c</c> is <c>a:b::c</c>, and namespace <c>ab</c> is <c>ab::…</c>, never
/// <c>a:b::…</c>. The keys of namespace <c>a</c> are exactly the physical keys that start with <c>a::</c>.</para>
/// <para>A backend may put a constant prefix of its own in front (Redis's <c>InstanceName</c>) and may mark the top-level name (Redis wraps it in braces, a Cluster hash tag); the mapping stays one-to-one.</para>
/// </remarks>
public static class KvKeyLayout
{
    /// <summary>The character between the names of a namespace path. Namespace names may not contain it.</summary>
    public const char NamespaceSeparator = ':';

    /// <summary>The text between a namespace path and a key.</summary>
    public const string KeySeparator = "::";

    /// <summary>Returns the path of the child namespace <paramref name="name"/> of <paramref name="parentPath"/>.</summary>
    /// <param name="parentPath">The parent's path, or <see langword="null"/> for a top-level namespace.</param>
    /// <param name="name">The child's name; validated with <see cref="KvKeyRules.ValidateNamespace(string)"/>.</param>
    /// <returns>The child's namespace path.</returns>
    public static string ChildPath(string? parentPath, string name)
    {
        KvKeyRules.ValidateNamespace(name);
        return parentPath is null ? name : string.Concat(parentPath, ":", name);
    }

    /// <summary>Returns the prefix that every physical key of the namespace starts with: the path and <c>::</c>.</summary>
    /// <param name="namespacePath">The namespace path.</param>
    /// <returns>The prefix.</returns>
    public static string KeyPrefix(string namespacePath)
    {
        ArgumentNullException.ThrowIfNull(namespacePath);
        return namespacePath + KeySeparator;
    }

    /// <summary>Returns the physical key of <paramref name="key"/> in the namespace <paramref name="namespacePath"/>.</summary>
    /// <param name="namespacePath">The namespace path.</param>
    /// <param name="key">The key.</param>
    /// <returns>The physical key.</returns>
    public static string Compose(string namespacePath, string key)
    {
        ArgumentNullException.ThrowIfNull(namespacePath);
        ArgumentNullException.ThrowIfNull(key);
        return string.Concat(namespacePath, KeySeparator, key);
    }
}
