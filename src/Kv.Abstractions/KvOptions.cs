using System.Text.Json;

namespace Kv;

/// <summary>Options every backend shares. Bound from the <c>Kv</c> configuration section.</summary>
public sealed class KvOptions
{
    /// <summary>The configuration section Kv binds its options from.</summary>
    public const string SectionName = "Kv";

    /// <summary>
    /// The JSON options values are written and read with; <see langword="null"/> (the default) uses
    /// <see cref="KvValueSerializer.CreateDefaultOptions"/>. Give options built on a source-generated
    /// <c>JsonSerializerContext</c> to keep Kv usable under trimming and Native AOT.
    /// </summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }
}
