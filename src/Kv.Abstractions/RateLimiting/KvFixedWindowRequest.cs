namespace Kv.RateLimiting;

/// <summary>
/// A fixed-window decision: take <see cref="Permits"/> from the window that contains now, of at most
/// <see cref="PermitLimit"/> permits. Windows are aligned to the Unix epoch (window <c>k</c> is
/// [<c>k·WindowMilliseconds</c>, <c>(k+1)·WindowMilliseconds</c>)), so every instance sharing a store agrees on them.
/// </summary>
/// <remarks>
/// Exact: a window never admits more than <see cref="PermitLimit"/> permits and, as long as requests keep coming,
/// admits exactly that many. A rejected request counts nothing. The state may expire when its window ends.
/// </remarks>
/// <param name="Permits">The permits to take: 0 (only asks whether any permit is left) to <see cref="PermitLimit"/>.</param>
/// <param name="PermitLimit">The permits per window; at least 1.</param>
/// <param name="WindowMilliseconds">The window in whole milliseconds: 1 ms to 365 days.</param>
public readonly record struct KvFixedWindowRequest(int Permits, int PermitLimit, long WindowMilliseconds);
