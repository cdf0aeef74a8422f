namespace Kv.RateLimiting;

/// <summary>
/// A sliding-window decision: take <see cref="Permits"/> so that no window of <see cref="SegmentsPerWindow"/> segments
/// ever holds more than <see cref="PermitLimit"/> permits.
/// </summary>
/// <remarks>
/// <para>The window is cut into <see cref="SegmentsPerWindow"/> segments of <see cref="SegmentMilliseconds"/> (aligned
/// to the Unix epoch; segment <c>i</c> is [<c>i·S</c>, <c>(i+1)·S</c>)); the state is one counter per segment. A
/// decision counts the current segment and the <see cref="SegmentsPerWindow"/> segments before it, including the
/// oldest one that the window only partly overlaps: counting it whole is what guarantees that no window, wherever it
/// starts, admits more than the limit. A rejected request counts nothing; the state may expire once its newest
/// segment has left the counted range.</para>
/// <para>The price is accuracy on the generous side: a permit is given back between one window and one window plus a
/// segment after it was taken (when its segment leaves), instead of exactly one window after. More segments tighten
/// that and cost a counter each: state is O(segments) per partition, whatever the limit.</para>
/// </remarks>
/// <param name="Permits">The permits to take: 0 (only asks whether any permit is left) to <see cref="PermitLimit"/>.</param>
/// <param name="PermitLimit">The most permits any window admits; at least 1.</param>
/// <param name="SegmentMilliseconds">The length of one segment in whole milliseconds: <c>⌈window / segments⌉</c>.</param>
/// <param name="SegmentsPerWindow">The segments of the window: 1 to 1000.</param>
public readonly record struct KvSlidingWindowRequest(int Permits, int PermitLimit, long SegmentMilliseconds, int SegmentsPerWindow);
