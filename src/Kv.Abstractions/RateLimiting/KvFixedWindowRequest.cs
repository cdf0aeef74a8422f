namespace Kv;

/// <summary>
/// A fixed-window decision: take <see cref="Permits"/> from the window that contains now, of at most
/// <see cref="PermitLimit"/> permits. Windows are aligned to the Unix epoch (window <c>k</c> is
/// [<c>k·Window</c>, <c>(k+1)·Window</c>)), so every instance sharing a store agrees on them.
/// </summary>
/// <remarks>
/// Exact: a window never admits more than <see cref="PermitLimit"/> permits and, as long as requests keep coming,
/// admits exactly that many. A rejected request counts nothing, on every backend.
/// </remarks>
/// <param name="Permits">The permits to take: 0 (only asks whether any permit is left) to <see cref="PermitLimit"/>.</param>
/// <param name="PermitLimit">The permits per window; at least 1.</param>
/// <param name="Window">The window: 1 ms to 365 days, kept to the millisecond (a fraction rounds up).</param>
public readonly record struct KvFixedWindowRequest(int Permits, int PermitLimit, TimeSpan Window)
{
    /// <summary>The window in whole milliseconds (a fraction rounds up).</summary>
    public long WindowMilliseconds => KvRateLimitRequests.Milliseconds(Window);

    internal void Validate()
    {
        KvRateLimitRequests.ValidateLimit(Permits, PermitLimit, nameof(PermitLimit));
        KvRateLimitRequests.ValidatePeriod(Window, nameof(Window));
    }
}
