using System.Buffers;
using System.Text.Json;
using Kv.Internal;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Options;

namespace Kv;

/// <summary>
/// An <see cref="IOutputCacheStore"/> on any Kv backend, so every instance of an application that shares the store
/// shares the output cache, and <see cref="EvictByTagAsync"/> on one instance evicts for all.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> Each response is one entry <c>e-{key}</c> whose TTL is the <c>validFor</c> the middleware
/// gives. Each tag that was ever evicted has a record <c>t-{tag}</c> holding a random token, rewritten by each eviction.
/// A response's metadata holds, for each of its tags, the token the tag had just before the response was written
/// (empty for a tag never evicted). A read serves a response only while all its tags still have those tokens.</para>
/// <para><b>Cost.</b> <see cref="EvictByTagAsync"/> is one write, whatever the number of entries with the tag (the
/// framework's Redis store instead walks a per-tag set of keys). <see cref="GetAsync"/> is one read, plus one batch read
/// of the tag records for a response that has tags. <see cref="SetAsync"/> is one batch read of the tag records plus one
/// write. An evicted response is not deleted at once: it stays in the store, never served, until its TTL ends (or the next
/// read of it deletes it). A tag record has no TTL, so that an evicted response can never come back: the store keeps one
/// small record per distinct tag that was ever evicted.</para>
/// <para><b>Races.</b> The tokens are read before the response is written, so an eviction that runs on another instance
/// while a response is being written leaves that response with the old token: it is never served. Two evictions at once
/// both write new tokens; either one invalidates every response written before both.</para>
/// </remarks>
public sealed class KvOutputCacheStore : IOutputCacheStore
{
    private const string TagsProperty = "tags";
    private readonly IKvStore _store;

    /// <summary>Creates a store on the namespace <see cref="KvOutputCacheOptions.Namespace"/> of <paramref name="adaptor"/>.</summary>
    /// <param name="adaptor">The Kv adaptor.</param>
    /// <param name="options">The options; validated now.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public KvOutputCacheStore(KvAdaptor adaptor, IOptions<KvOutputCacheOptions> options)
    {
        ArgumentNullException.ThrowIfNull(adaptor);
        ArgumentNullException.ThrowIfNull(options);
        string[] problems = [.. options.Value.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _store = adaptor.Namespace(options.Value.Namespace);
    }

    /// <inheritdoc />
    public async ValueTask EvictByTagAsync(string tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tag);
        await _store.SetAsync(TagKey(tag), Guid.NewGuid().ToString("N"), options: null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        string entryKey = EntryKey(key);
        KvEntry<byte[]>? entry = await _store.GetEntryAsync<byte[]>(entryKey, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }

        if (entry.Metadata is { ValueKind: JsonValueKind.Object } metadata
            && metadata.TryGetProperty(TagsProperty, out JsonElement tags)
            && tags.ValueKind == JsonValueKind.Object)
        {
            var written = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty tag in tags.EnumerateObject())
            {
                written[tag.Name] = tag.Value.GetString() ?? string.Empty;
            }

            IReadOnlyDictionary<string, string?> current =
                await _store.GetManyAsync<string>(written.Keys, cancellationToken).ConfigureAwait(false);
            foreach (KeyValuePair<string, string> tag in written)
            {
                string now = current.TryGetValue(tag.Key, out string? token) && token is not null ? token : string.Empty;
                if (!string.Equals(now, tag.Value, StringComparison.Ordinal))
                {
                    await _store.DeleteAsync(entryKey, cancellationToken).ConfigureAwait(false);
                    return null;
                }
            }
        }

        return entry.Value;
    }

    /// <inheritdoc />
    public async ValueTask SetAsync(string key, byte[] value, string[]? tags, TimeSpan validFor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validFor, TimeSpan.Zero);
        TimeSpan ttl = validFor > KvSetOptions.MaxTtl ? KvSetOptions.MaxTtl : validFor;
        JsonElement? metadata = null;
        if (tags is { Length: > 0 })
        {
            string[] tagKeys = [.. tags.Where(t => t is not null).Select(TagKey).Distinct(StringComparer.Ordinal)];
            IReadOnlyDictionary<string, string?> current =
                await _store.GetManyAsync<string>(tagKeys, cancellationToken).ConfigureAwait(false);
            metadata = Metadata(tagKeys, current);
        }

        await _store.SetAsync(EntryKey(key), value, new KvSetOptions { Ttl = ttl, Metadata = metadata }, cancellationToken)
            .ConfigureAwait(false);
    }

    private static string EntryKey(string key) => KvStoreKey.From("e-" + key, KvKeyRules.MaxKeyLength, KvKeyRules.IsValidKey);

    private static string TagKey(string tag) => KvStoreKey.From("t-" + tag, KvKeyRules.MaxKeyLength, KvKeyRules.IsValidKey);

    // Written as a JsonElement so the store's serializer options cannot rename the properties.
    private static JsonElement Metadata(string[] tagKeys, IReadOnlyDictionary<string, string?> current)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (tagKeys.Length * 48));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject(TagsProperty);
            foreach (string tagKey in tagKeys)
            {
                writer.WriteString(tagKey, current.TryGetValue(tagKey, out string? token) && token is not null ? token : string.Empty);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
