namespace Kv;

/// <summary>Options of a write.</summary>
public sealed class KvSetOptions
{
    /// <summary>The largest TTL Kv accepts: 3650 days. Longer-lived data should be stored without a TTL.</summary>
    public static TimeSpan MaxTtl { get; } = TimeSpan.FromDays(3650);

    /// <summary>The largest <see cref="Metadata"/> Kv accepts, serialized as UTF-8 JSON: 1024 bytes.</summary>
    public const int MaxMetadataBytes = 1024;

    /// <summary>
    /// How long the entry lives, counted from the write. A positive value of at most <see cref="MaxTtl"/>;
    /// it is kept to the millisecond and a fraction of a millisecond rounds up. <see langword="null"/>
    /// (the default) stores a permanent entry unless <see cref="ExpiresAt"/> is set.
    /// </summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>
    /// When the entry expires, on the application's <see cref="TimeProvider"/>. It must lie in the future, at most
    /// <see cref="MaxTtl"/> away; it is turned into a TTL when the call is made (for a transaction, when the operation is
    /// added), rounded up to the millisecond.
    /// Setting both <see cref="Ttl"/> and <see cref="ExpiresAt"/> is <see cref="KvErrorCode.InvalidTtl"/>.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>
    /// Metadata stored with the entry and returned with it by <see cref="IKvStore.GetEntryAsync{T}(string, CancellationToken)"/>
    /// and <see cref="IKvStore.ListAsync(KvListQuery, CancellationToken)"/>: any value System.Text.Json can serialize
    /// with the store's serializer options, at most <see cref="MaxMetadataBytes"/> serialized (else
    /// <see cref="KvErrorCode.InvalidValue"/>). <see langword="null"/> (the default) stores none; a write replaces the
    /// entry's metadata as a whole, and an increment of an existing counter keeps it.
    /// </summary>
    public object? Metadata { get; init; }

    /// <summary>Creates options with the given TTL.</summary>
    /// <param name="ttl">The TTL.</param>
    /// <returns>New options.</returns>
    public static KvSetOptions WithTtl(TimeSpan ttl) => new() { Ttl = ttl };

    /// <summary>Creates options with the given absolute expiry.</summary>
    /// <param name="expiresAt">When the entry expires.</param>
    /// <returns>New options.</returns>
    public static KvSetOptions WithExpiresAt(DateTimeOffset expiresAt) => new() { ExpiresAt = expiresAt };
}
