namespace Kv;

/// <summary>What every Kv rate limiter's options have in common.</summary>
public abstract class KvRateLimiterOptions
{
    /// <summary>The namespace that holds the limiter state: <c>ratelimit</c> unless set.</summary>
    public const string DefaultNamespace = "ratelimit";

    /// <summary>What to do when the store fails; <see cref="KvRateLimitFailureMode.FailOpen"/> by default (see there why).</summary>
    public KvRateLimitFailureMode FailureMode { get; set; } = KvRateLimitFailureMode.FailOpen;

    /// <summary>
    /// The namespace of the limiter state when the store comes from dependency injection (the
    /// <see cref="KvRateLimitPartition"/> helpers taking an <see cref="IServiceProvider"/>, and the policies of
    /// <see cref="KvRateLimiterOptionsExtensions"/>): the registered <see cref="AtomicKvAdaptor"/>'s
    /// <c>Namespace(Namespace)</c>. Ignored when you pass a store yourself. Default <see cref="DefaultNamespace"/>.
    /// </summary>
    public string Namespace { get; set; } = DefaultNamespace;

    /// <summary>The most permits one request may take: the permit or token limit.</summary>
    internal abstract int Limit { get; }

    /// <summary>Throws <see cref="ArgumentException"/> (naming the option) when an option is out of range.</summary>
    internal virtual void Validate()
    {
        if (!Enum.IsDefined(FailureMode))
        {
            throw new ArgumentOutOfRangeException(nameof(FailureMode), FailureMode, "Not a KvRateLimitFailureMode.");
        }

        ArgumentNullException.ThrowIfNull(Namespace, nameof(Namespace));
        KvKeyRules.ValidateNamespace(Namespace);
    }

    /// <summary>Whole milliseconds of a window or period; a fraction rounds up, as TTLs do.</summary>
    internal static long Milliseconds(TimeSpan period) => (period.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;

    /// <summary>The longest window or period.</summary>
    private protected static TimeSpan MaxPeriod { get; } = TimeSpan.FromDays(365);

    private protected static void ValidateLimit(int value, string name) => ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, name);

    private protected static void ValidatePeriod(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > MaxPeriod)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Must be positive and at most {MaxPeriod.TotalDays} days.");
        }
    }
}
