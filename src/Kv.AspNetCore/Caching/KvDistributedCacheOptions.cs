namespace Kv;

/// <summary>Options of <see cref="KvDistributedCache"/>, bound from the configuration section <c>Kv:DistributedCache</c>.</summary>
public sealed class KvDistributedCacheOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Kv:DistributedCache";

    /// <summary>The top-level namespace the cache entries live in. Default <c>cache</c>.</summary>
    public string Namespace { get; set; } = "cache";

    /// <summary>Checks the options.</summary>
    /// <returns>One message per problem; none when the options are valid.</returns>
    public IEnumerable<string> Validate()
    {
        if (Namespace is null || !KvKeyRules.IsValidKey(Namespace) || Namespace.Contains(KvKeyLayout.NamespaceSeparator, StringComparison.Ordinal)
            || string.IsNullOrWhiteSpace(Namespace))
        {
            yield return "KvDistributedCacheOptions.Namespace must be a valid namespace name.";
        }
    }
}
