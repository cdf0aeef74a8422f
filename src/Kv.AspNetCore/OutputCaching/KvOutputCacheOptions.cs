namespace Kv;

/// <summary>Options of <see cref="KvOutputCacheStore"/>.</summary>
public sealed class KvOutputCacheOptions
{
    /// <summary>The configuration section the options bind from: <c>Kv:OutputCache</c>.</summary>
    public const string SectionName = "Kv:OutputCache";

    /// <summary>The Kv namespace of the cached responses and tag records; default <c>outputcache</c>.</summary>
    public string Namespace { get; set; } = "outputcache";

    /// <summary>Lists what is wrong with these options; empty when they are valid.</summary>
    /// <returns>One message per problem.</returns>
    public IEnumerable<string> Validate()
    {
        if (Namespace is null || string.IsNullOrWhiteSpace(Namespace) || !KvKeyRules.IsValidKey(Namespace)
            || Namespace.Contains(KvKeyLayout.NamespaceSeparator, StringComparison.Ordinal))
        {
            yield return "KvOutputCacheOptions.Namespace must be a valid namespace name.";
        }
    }
}
