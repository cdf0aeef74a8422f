namespace Kv;

/// <summary>
/// A sliding-window decision: take <see cref="Permits"/> so that no window of length <see cref="Window"/> ever holds
/// more than <see cref="PermitLimit"/> permits.
/// </summary>
/// <remarks>
/// <para>The window is cut into <see cref="SegmentsPerWindow"/> segments of <c>S = ⌈Window / SegmentsPerWindow⌉</c>
/// (aligned to the Unix epoch); the state is one counter per segment. A decision counts the current segment and the
/// <see cref="SegmentsPerWindow"/> segments before it, including the oldest one that the window only partly
/// overlaps. Counting that segment whole is what makes the guarantee hold: every permit taken in the last
/// <see cref="Window"/> is counted, so no window of that length, wherever it starts, admits more than the limit.</para>
/// <para>The price is accuracy on the generous side: a permit is given back between <see cref="Window"/> and
/// <see cref="Window"/> + S after it was taken (when its segment leaves), instead of exactly <see cref="Window"/>
/// after. More segments tighten that (S shrinks) and cost a counter each: state is O(segments) per partition,
/// whatever the limit. A sliding log would be exact but costs one timestamp per permit.</para>
/// </remarks>
/// <param name="Permits">The permits to take: 0 (only asks whether any permit is left) to <see cref="PermitLimit"/>.</param>
/// <param name="PermitLimit">The most permits any window of length <see cref="Window"/> admits; at least 1.</param>
/// <param name="Window">The window: 1 ms to 365 days, kept to the millisecond (a fraction rounds up).</param>
/// <param name="SegmentsPerWindow">The segments of the window: 1 to 1000, and at most one per millisecond of the window.</param>
public readonly record struct KvSlidingWindowRequest(int Permits, int PermitLimit, TimeSpan Window, int SegmentsPerWindow)
{
    /// <summary>The most segments per window.</summary>
    public const int MaxSegmentsPerWindow = 1000;

    /// <summary>The window in whole milliseconds (a fraction rounds up).</summary>
    public long WindowMilliseconds => KvRateLimitRequests.Milliseconds(Window);

    /// <summary>The length of one segment in milliseconds: <c>⌈Window / SegmentsPerWindow⌉</c>.</summary>
    public long SegmentMilliseconds => (WindowMilliseconds + SegmentsPerWindow - 1) / SegmentsPerWindow;

    internal void Validate()
    {
        KvRateLimitRequests.ValidateLimit(Permits, PermitLimit, nameof(PermitLimit));
        KvRateLimitRequests.ValidatePeriod(Window, nameof(Window));
        if (SegmentsPerWindow < 1 || SegmentsPerWindow > MaxSegmentsPerWindow || SegmentsPerWindow > WindowMilliseconds)
        {
            throw new ArgumentOutOfRangeException(
                nameof(SegmentsPerWindow), SegmentsPerWindow, $"A window has 1 to {MaxSegmentsPerWindow} segments, and at most one per millisecond.");
        }
    }
}
