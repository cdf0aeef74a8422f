using Kv.RateLimiting;

namespace Kv;

/// <summary>Options of a <see cref="KvSlidingWindowRateLimiter"/> (see <see cref="KvSlidingWindowRequest"/> for the algorithm).</summary>
public sealed class KvSlidingWindowRateLimiterOptions : KvRateLimiterOptions
{
    /// <summary>The most permits any window of length <see cref="Window"/> admits; at least 1. Required.</summary>
    public int PermitLimit { get; set; }

    /// <summary>The window: 1 ms to 365 days, kept to the millisecond. Required.</summary>
    public TimeSpan Window { get; set; }

    /// <summary>
    /// The segments the window is cut into: 1 to 1000 (and at most one per millisecond); 10 by default. A permit comes
    /// back between <see cref="Window"/> and <see cref="Window"/> × (1 + 1/segments) after it was taken; each segment
    /// costs one counter of state per partition.
    /// </summary>
    public int SegmentsPerWindow { get; set; } = 10;

    /// <summary>The most segments per window.</summary>
    internal const int MaxSegmentsPerWindow = 1000;

    internal override int Limit => PermitLimit;

    internal override void Validate()
    {
        base.Validate();
        ValidateLimit(PermitLimit, nameof(PermitLimit));
        ValidatePeriod(Window, nameof(Window));
        long windowMilliseconds = Milliseconds(Window);
        if (SegmentsPerWindow < 1 || SegmentsPerWindow > MaxSegmentsPerWindow || SegmentsPerWindow > windowMilliseconds)
        {
            throw new ArgumentOutOfRangeException(
                nameof(SegmentsPerWindow), SegmentsPerWindow, $"A window has 1 to {MaxSegmentsPerWindow} segments, and at most one per millisecond.");
        }
    }
}
