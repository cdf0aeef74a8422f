using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
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
/// A tagged response's value starts with the names of its tag records (length-prefixed UTF-8), followed by the response;
/// its metadata holds only the header's length and a SHA-256 digest of each tag record with the token it had just
/// before the response was written (empty for a tag never evicted), so the metadata stays a few dozen bytes whatever
/// the number or length of the tags. A read serves a response only while the digest of its tags' current tokens is
/// still the same.</para>
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
    private const string HeaderProperty = "h";
    private const string DigestProperty = "d";
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

        if (entry.Metadata is not { ValueKind: JsonValueKind.Object } metadata)
        {
            return entry.Value;
        }

        // A tagged response: served only while its tags' tokens are the ones it was written with. An entry whose
        // header does not parse (another layout) is not served either.
        if (metadata.TryGetProperty(HeaderProperty, out JsonElement headerLength)
            && metadata.TryGetProperty(DigestProperty, out JsonElement digest)
            && headerLength.TryGetInt32(out int length)
            && entry.Value is { } stored
            && TryReadTagKeys(stored, length, out string[]? tagKeys))
        {
            IReadOnlyDictionary<string, string?> current = await _store.GetManyAsync<string>(tagKeys, cancellationToken).ConfigureAwait(false);
            if (string.Equals(Digest(tagKeys, current), digest.GetString(), StringComparison.Ordinal))
            {
                return stored.AsSpan(length).ToArray();
            }
        }

        await _store.DeleteAsync(entryKey, cancellationToken).ConfigureAwait(false);
        return null;
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
            string[] tagKeys = [.. tags.Where(t => t is not null).Select(TagKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            IReadOnlyDictionary<string, string?> current =
                await _store.GetManyAsync<string>(tagKeys, cancellationToken).ConfigureAwait(false);
            byte[] header = WriteTagKeys(tagKeys);
            metadata = Metadata(header.Length, Digest(tagKeys, current));
            value = [.. header, .. value];
        }

        await _store.SetAsync(EntryKey(key), value, new KvSetOptions { Ttl = ttl, Metadata = metadata }, cancellationToken)
            .ConfigureAwait(false);
    }

    private static string EntryKey(string key) => KvStoreKey.From("e-" + key, KvKeyRules.MaxKeyLength, KvKeyRules.IsValidKey);

    private static string TagKey(string tag) => KvStoreKey.From("t-" + tag, KvKeyRules.MaxKeyLength, KvKeyRules.IsValidKey);

    // Each tag record's name as a 4-byte little-endian length and its UTF-8.
    private static byte[] WriteTagKeys(string[] tagKeys)
    {
        var buffer = new ArrayBufferWriter<byte>(tagKeys.Sum(k => 4 + Encoding.UTF8.GetByteCount(k)));
        foreach (string tagKey in tagKeys)
        {
            WriteLengthPrefixed(buffer, tagKey);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static bool TryReadTagKeys(byte[] value, int length, [NotNullWhen(true)] out string[]? tagKeys)
    {
        tagKeys = null;
        if (length < 0 || length > value.Length)
        {
            return false;
        }

        var keys = new List<string>();
        ReadOnlySpan<byte> header = value.AsSpan(0, length);
        while (header.Length > 0)
        {
            if (header.Length < 4)
            {
                return false;
            }

            int size = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (size < 0 || size > header.Length - 4)
            {
                return false;
            }

            keys.Add(Encoding.UTF8.GetString(header.Slice(4, size)));
            header = header[(4 + size)..];
        }

        tagKeys = [.. keys];
        return true;
    }

    // SHA-256 over each tag record's name and current token (empty when the tag was never evicted), length-prefixed.
    private static string Digest(string[] tagKeys, IReadOnlyDictionary<string, string?> current)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * tagKeys.Length);
        foreach (string tagKey in tagKeys)
        {
            WriteLengthPrefixed(buffer, tagKey);
            WriteLengthPrefixed(buffer, current.TryGetValue(tagKey, out string? token) && token is not null ? token : string.Empty);
        }

        return Convert.ToBase64String(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteLengthPrefixed(ArrayBufferWriter<byte> buffer, string text)
    {
        int size = Encoding.UTF8.GetByteCount(text);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), size);
        buffer.Advance(4);
        buffer.Advance(Encoding.UTF8.GetBytes(text, buffer.GetSpan(size)));
    }

    // Written as a JsonElement so the store's serializer options cannot rename the properties.
    private static JsonElement Metadata(int headerLength, string digest)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber(HeaderProperty, headerLength);
            writer.WriteString(DigestProperty, digest);
            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
