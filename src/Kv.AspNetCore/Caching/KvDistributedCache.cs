using Kv.Internal;
using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;

namespace Kv;

/// <summary>
/// An <see cref="IDistributedCache"/> on any Kv backend, so ASP.NET Core session state, output caching and anything
/// else written against <see cref="IDistributedCache"/> can keep its data in Kv.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> One Kv entry per cache key, in the namespace of <see cref="KvDistributedCacheOptions.Namespace"/>:
/// the value is the cached bytes (stored raw), and the entry's metadata holds its expiration settings
/// (<c>{"slidingMs":…,"absoluteUnixMs":…}</c>); the entry's TTL is when it expires next.</para>
/// <para><b>Expiration</b>, as <see cref="DistributedCacheEntryOptions"/> defines it: an absolute expiration
/// (<see cref="DistributedCacheEntryOptions.AbsoluteExpiration"/>, or
/// <see cref="DistributedCacheEntryOptions.AbsoluteExpirationRelativeToNow"/> from now) ends the entry at that moment;
/// a sliding expiration ends it when it was not read (<c>Get</c>) or refreshed (<c>Refresh</c>) for that long, and each
/// read or refresh extends it, never past the absolute expiration. Without either, the entry is permanent. Time comes
/// from the injected <see cref="TimeProvider"/>.</para>
/// <para><b>Synchronous methods.</b> <c>Get</c>, <c>Set</c>, <c>Refresh</c>, <c>Remove</c> and the synchronous
/// <see cref="IBufferDistributedCache"/> methods work on every backend, through the store's
/// <see cref="IKvStore.Synchronous"/> operations: each backend's own synchronous calls (StackExchange.Redis's synchronous
/// API on Redis), never a thread blocked on a task. So ASP.NET Core session state works the ordinary way, without
/// <c>await HttpContext.Session.LoadAsync()</c>; the asynchronous methods stay preferable wherever the caller can await.</para>
/// <para><b>Argument errors</b> name the offending option, as the framework's caches do: an absolute expiration that is
/// not in the future throws <see cref="ArgumentOutOfRangeException"/> with <c>ParamName</c>
/// <c>AbsoluteExpiration</c>.</para>
/// <para><b>Precision.</b> Expirations keep their milliseconds (RedisCache truncates them to whole seconds), and an
/// entry read at its exact expiry instant counts as expired, as in <c>MemoryCache</c>.</para>
/// <para><b>HybridCache.</b> The cache also implements <see cref="IBufferDistributedCache"/>, so HybridCache uses its
/// buffer methods for its second level: <see cref="TryGetAsync"/> writes the value into HybridCache's buffer and
/// <see cref="SetAsync(string, ReadOnlySequence{byte}, DistributedCacheEntryOptions, CancellationToken)"/> takes
/// HybridCache's buffer. Kv's store API moves values as <see cref="byte"/> arrays, so each of them still copies the
/// value once (from the array read into the writer; from the sequence into the array written).</para>
/// </remarks>
public sealed class KvDistributedCache : IBufferDistributedCache
{
    private const string SlidingProperty = "slidingMs";
    private const string AbsoluteProperty = "absoluteUnixMs";

    private readonly IKvStore _store;
    private readonly TimeProvider _clock;

    /// <summary>Creates a cache on the namespace <see cref="KvDistributedCacheOptions.Namespace"/> of <paramref name="adaptor"/>.</summary>
    /// <param name="adaptor">The Kv adaptor.</param>
    /// <param name="options">The options; validated now.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public KvDistributedCache(KvAdaptor adaptor, IOptions<KvDistributedCacheOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(adaptor);
        ArgumentNullException.ThrowIfNull(options);
        KvDistributedCacheOptions value = options.Value;
        string[] problems = [.. value.Validate()];
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _store = adaptor.Namespace(value.Namespace);
        _clock = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public byte[]? Get(string key)
    {
        key = StoreKey(key);
        KvEntry<byte[]>? entry = _store.Synchronous.GetEntry<byte[]>(key);
        if (entry is not null && NextSlide(entry) is { } ttl)
        {
            _store.Synchronous.Expire(key, ttl);
        }

        return entry?.Value;
    }

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => GetCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        (string storeKey, KvSetOptions setOptions) = PrepareSet(key, value, options);
        _store.Synchronous.Set(storeKey, value, setOptions);
    }

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        SetCoreAsync(key, value, options, token).AsTask();

    /// <inheritdoc />
    public void Refresh(string key) => Get(key);

    /// <inheritdoc />
    public Task RefreshAsync(string key, CancellationToken token = default) => RefreshCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    public void Remove(string key) => _store.Synchronous.Delete(StoreKey(key));

    /// <inheritdoc />
    public Task RemoveAsync(string key, CancellationToken token = default) => RemoveCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Copy(Get(key), destination);
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Copy(await GetCoreAsync(key, token).ConfigureAwait(false), destination);
    }

    /// <inheritdoc />
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => Set(key, value.ToArray(), options);

    /// <inheritdoc />
    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        SetCoreAsync(key, value.ToArray(), options, token);

    private static bool Copy(byte[]? value, IBufferWriter<byte> destination)
    {
        if (value is null)
        {
            return false;
        }

        destination.Write(value);
        return true;
    }

    private async ValueTask<byte[]?> GetCoreAsync(string key, CancellationToken cancellationToken)
    {
        key = StoreKey(key);
        KvEntry<byte[]>? entry = await _store.GetEntryAsync<byte[]>(key, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }

        await SlideAsync(key, entry, cancellationToken).ConfigureAwait(false);
        return entry.Value;
    }

    private async ValueTask SetCoreAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken cancellationToken)
    {
        (string storeKey, KvSetOptions setOptions) = PrepareSet(key, value, options);
        await _store.SetAsync(storeKey, value, setOptions, cancellationToken).ConfigureAwait(false);
    }

    private (string Key, KvSetOptions Options) PrepareSet(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        key = StoreKey(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        DateTimeOffset now = _clock.GetUtcNow();
        DateTimeOffset? absolute = options.AbsoluteExpiration;
        if (absolute is { } at && at <= now)
        {
            // Named for the option, as the framework's caches name it.
#pragma warning disable CA2208 // The offending value is an option of the parameter, named as RedisCache names it.
            throw new ArgumentOutOfRangeException(nameof(DistributedCacheEntryOptions.AbsoluteExpiration), at, "The absolute expiration value must be in the future.");
#pragma warning restore CA2208
        }

        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            absolute = now + relative;
        }

        TimeSpan? sliding = options.SlidingExpiration;
        TimeSpan? ttl = NextTtl(sliding, absolute, now);
        JsonElement? metadata = sliding is null && absolute is null ? null : Metadata(sliding, absolute);
        return (key, new KvSetOptions { Ttl = ttl, Metadata = metadata });
    }

    private async ValueTask RefreshCoreAsync(string key, CancellationToken cancellationToken)
    {
        key = StoreKey(key);
        KvEntry<byte[]>? entry = await _store.GetEntryAsync<byte[]>(key, cancellationToken).ConfigureAwait(false);
        if (entry is not null)
        {
            await SlideAsync(key, entry, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask RemoveCoreAsync(string key, CancellationToken cancellationToken)
    {
        await _store.DeleteAsync(StoreKey(key), cancellationToken).ConfigureAwait(false);
    }

    // IDistributedCache takes any string as a key (HybridCache sends up to 1024 characters); one that Kv's key rules do
    // not accept as it is (too long, a leading "__", a control character) is stored under its hash.
    private static string StoreKey(string key) => KvStoreKey.From(key, KvKeyRules.MaxKeyLength, KvKeyRules.IsValidKey);

    // A read or refresh of a sliding entry moves its expiry to now + sliding, never past its absolute expiration.
    private async ValueTask SlideAsync(string key, KvEntry<byte[]> entry, CancellationToken cancellationToken)
    {
        if (NextSlide(entry) is { } ttl)
        {
            await _store.ExpireAsync(key, ttl, cancellationToken).ConfigureAwait(false);
        }
    }

    // The TTL a read gives a sliding entry; null for an entry without a sliding expiration (nothing to extend).
    private TimeSpan? NextSlide(KvEntry<byte[]> entry)
    {
        if (entry.Metadata is not { ValueKind: JsonValueKind.Object } metadata
            || !metadata.TryGetProperty(SlidingProperty, out JsonElement slidingMs))
        {
            return null;
        }

        DateTimeOffset? absolute = metadata.TryGetProperty(AbsoluteProperty, out JsonElement absoluteMs)
            ? DateTimeOffset.FromUnixTimeMilliseconds(absoluteMs.GetInt64())
            : null;
        return NextTtl(TimeSpan.FromMilliseconds(slidingMs.GetInt64()), absolute, _clock.GetUtcNow()) is { } ttl && ttl > TimeSpan.Zero ? ttl : null;
    }

    // Never longer than a Kv TTL may be (KvSetOptions.MaxTtl): a cache may drop an entry early, and IDistributedCache
    // accepts expirations (DateTimeOffset.MaxValue, years away) that a store TTL cannot hold.
    private static TimeSpan? NextTtl(TimeSpan? sliding, DateTimeOffset? absolute, DateTimeOffset now)
    {
        TimeSpan? next = sliding;
        if (absolute is not null)
        {
            TimeSpan untilAbsolute = absolute.Value - now;
            next = sliding is { } s && s < untilAbsolute ? s : untilAbsolute;
        }

        return next > KvSetOptions.MaxTtl ? KvSetOptions.MaxTtl : next;
    }

    // Written as a JsonElement so the store's serializer options (naming policies) cannot rename the properties.
    private static JsonElement Metadata(TimeSpan? sliding, DateTimeOffset? absolute)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (sliding is { } s)
            {
                writer.WriteNumber(SlidingProperty, (long)Math.Ceiling(s.TotalMilliseconds));
            }

            if (absolute is { } a)
            {
                writer.WriteNumber(AbsoluteProperty, a.ToUnixTimeMilliseconds());
            }

            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
