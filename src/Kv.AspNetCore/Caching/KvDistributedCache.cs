using Kv.Internal;
using System.Buffers;
using System.Runtime.ExceptionServices;
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
/// <para><b>Synchronous methods.</b> <c>Get</c>, <c>Set</c>, <c>Refresh</c> and <c>Remove</c> never block a thread on
/// I/O. On a backend whose operations complete synchronously (<see cref="KvAdaptor.CompletesSynchronously"/>: the memory
/// backend) they work. On any other backend (Redis) they throw <see cref="NotSupportedException"/> before doing
/// anything: use the asynchronous methods, and in ASP.NET Core call <c>await HttpContext.Session.LoadAsync()</c> before
/// touching the session (the session then never calls the synchronous methods).</para>
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
    private readonly bool _synchronous;
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
        _synchronous = adaptor.CompletesSynchronously;
        _clock = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Whether the synchronous methods work on this cache's backend (see the remarks).</summary>
    public bool SupportsSynchronousMethods => _synchronous;

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The backend does not complete synchronously: use <see cref="GetAsync"/>.</exception>
    public byte[]? Get(string key)
    {
        EnsureSynchronous(nameof(Get), nameof(GetAsync));
        return Completed(GetCoreAsync(key, CancellationToken.None));
    }

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => GetCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The backend does not complete synchronously: use <see cref="SetAsync(string, byte[], DistributedCacheEntryOptions, CancellationToken)"/>.</exception>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        EnsureSynchronous(nameof(Set), nameof(SetAsync));
        Completed(SetCoreAsync(key, value, options, CancellationToken.None));
    }

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        SetCoreAsync(key, value, options, token).AsTask();

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The backend does not complete synchronously: use <see cref="RefreshAsync"/>.</exception>
    public void Refresh(string key)
    {
        EnsureSynchronous(nameof(Refresh), nameof(RefreshAsync));
        Completed(RefreshCoreAsync(key, CancellationToken.None));
    }

    /// <inheritdoc />
    public Task RefreshAsync(string key, CancellationToken token = default) => RefreshCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The backend does not complete synchronously: use <see cref="RemoveAsync"/>.</exception>
    public void Remove(string key)
    {
        EnsureSynchronous(nameof(Remove), nameof(RemoveAsync));
        Completed(RemoveCoreAsync(key, CancellationToken.None));
    }

    /// <inheritdoc />
    public Task RemoveAsync(string key, CancellationToken token = default) => RemoveCoreAsync(key, token).AsTask();

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The backend does not complete synchronously: use <see cref="TryGetAsync"/>.</exception>
    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        EnsureSynchronous(nameof(TryGet), nameof(TryGetAsync));
        return Copy(Completed(GetCoreAsync(key, CancellationToken.None)), destination);
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Copy(await GetCoreAsync(key, token).ConfigureAwait(false), destination);
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The backend does not complete synchronously: use <see cref="SetAsync(string, ReadOnlySequence{byte}, DistributedCacheEntryOptions, CancellationToken)"/>.</exception>
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        EnsureSynchronous(nameof(Set), nameof(SetAsync));
        Completed(SetCoreAsync(key, value.ToArray(), options, CancellationToken.None));
    }

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
        key = StoreKey(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        DateTimeOffset now = _clock.GetUtcNow();
        DateTimeOffset? absolute = options.AbsoluteExpiration;
        if (absolute is { } at && at <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), at, "The absolute expiration value must be in the future.");
        }

        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            absolute = now + relative;
        }

        TimeSpan? sliding = options.SlidingExpiration;
        TimeSpan? ttl = NextTtl(sliding, absolute, now);
        JsonElement? metadata = sliding is null && absolute is null ? null : Metadata(sliding, absolute);
        await _store.SetAsync(key, value, new KvSetOptions { Ttl = ttl, Metadata = metadata }, cancellationToken).ConfigureAwait(false);
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
        if (entry.Metadata is not { ValueKind: JsonValueKind.Object } metadata
            || !metadata.TryGetProperty(SlidingProperty, out JsonElement slidingMs))
        {
            return;
        }

        DateTimeOffset? absolute = metadata.TryGetProperty(AbsoluteProperty, out JsonElement absoluteMs)
            ? DateTimeOffset.FromUnixTimeMilliseconds(absoluteMs.GetInt64())
            : null;
        if (NextTtl(TimeSpan.FromMilliseconds(slidingMs.GetInt64()), absolute, _clock.GetUtcNow()) is { } ttl && ttl > TimeSpan.Zero)
        {
            await _store.ExpireAsync(key, ttl, cancellationToken).ConfigureAwait(false);
        }
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

    private void EnsureSynchronous(string method, string asyncMethod)
    {
        if (!_synchronous)
        {
            throw new NotSupportedException(
                $"KvDistributedCache.{method} would block a thread on I/O: this Kv backend does not complete synchronously. "
                + $"Use {asyncMethod}; for session state, call 'await HttpContext.Session.LoadAsync()' before using the session.");
        }
    }

    // The backend completes synchronously, so the task has completed: take its outcome without blocking.
    private static T? Completed<T>(ValueTask<T> task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return task.Result;
        }

        Rethrow(task.AsTask());
        return default;
    }

    private static void Completed(ValueTask task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            Rethrow(task.AsTask());
        }
    }

    private static void Rethrow(Task task)
    {
        if (!task.IsCompleted)
        {
            throw new InvalidOperationException(
                "A Kv backend that reports CompletesSynchronously returned an operation that had not completed; the synchronous IDistributedCache methods cannot wait for it.");
        }

        if (task.IsCanceled)
        {
            throw new OperationCanceledException();
        }

        ExceptionDispatchInfo.Throw(task.Exception!.InnerException!);
    }
}
