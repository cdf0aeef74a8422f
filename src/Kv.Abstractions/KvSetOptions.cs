namespace Kv;

/// <summary>Options of a write.</summary>
public sealed class KvSetOptions
{
    /// <summary>The largest TTL Kv accepts: 3650 days. Longer-lived data should be stored without a TTL.</summary>
    public static TimeSpan MaxTtl { get; } = TimeSpan.FromDays(3650);

    /// <summary>
    /// How long the entry lives, counted from the write. A positive value of at most <see cref="MaxTtl"/>;
    /// it is kept to the millisecond and a fraction of a millisecond rounds up. <see langword="null"/>
    /// (the default) stores a permanent entry.
    /// </summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Creates options with the given TTL.</summary>
    /// <param name="ttl">The TTL.</param>
    /// <returns>New options.</returns>
    public static KvSetOptions WithTtl(TimeSpan ttl) => new() { Ttl = ttl };
}
