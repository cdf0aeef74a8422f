namespace Kv;

/// <summary>The three answers to "how long does this key live": missing, permanent, or expiring after <see cref="Remaining"/>.</summary>
public readonly record struct KvTimeToLive
{
    private KvTimeToLive(KvTtlState state, TimeSpan? remaining)
    {
        State = state;
        Remaining = remaining;
    }

    /// <summary>The key does not exist (or has expired).</summary>
    public static KvTimeToLive Missing => new(KvTtlState.Missing, null);

    /// <summary>The key exists and has no TTL.</summary>
    public static KvTimeToLive Permanent => new(KvTtlState.Permanent, null);

    /// <summary>Which of the three answers this is.</summary>
    public KvTtlState State { get; }

    /// <summary>How long the key still lives, for <see cref="KvTtlState.Expiring"/> (positive, to the millisecond);
    /// otherwise <see langword="null"/>.</summary>
    public TimeSpan? Remaining { get; }

    /// <summary>Whether the key exists.</summary>
    public bool Exists => State != KvTtlState.Missing;

    /// <summary>The key exists and expires after <paramref name="remaining"/>.</summary>
    /// <param name="remaining">The time left; must be positive.</param>
    /// <returns>An expiring answer.</returns>
    public static KvTimeToLive Expiring(TimeSpan remaining)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(remaining, TimeSpan.Zero);
        return new(KvTtlState.Expiring, remaining);
    }
}

/// <summary>Whether a key is missing, permanent or expiring.</summary>
public enum KvTtlState
{
    /// <summary>The key does not exist (or has expired).</summary>
    Missing,

    /// <summary>The key exists and has no TTL.</summary>
    Permanent,

    /// <summary>The key exists and has a TTL.</summary>
    Expiring,
}
