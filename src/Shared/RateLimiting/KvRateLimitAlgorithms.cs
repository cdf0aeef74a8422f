using System.Globalization;
using System.Text;
using Kv.RateLimiting;

namespace Kv.Internal;

/// <summary>
/// What one decision does to a partition's state. Store <see cref="NewState"/> (encoded by
/// <see cref="KvRateLimitAlgorithms.EncodeState"/>) with <see cref="NewStateTtl"/> atomically with the read the decision
/// was made on; when it is <see langword="null"/>, store nothing.
/// </summary>
/// <param name="Decision">The decision.</param>
/// <param name="NewState">The state to store, or <see langword="null"/> when the state does not change.</param>
/// <param name="NewStateTtl">The TTL of <see cref="NewState"/>: after it the state means the same as no state at all.</param>
internal readonly record struct KvRateLimitStateChange(KvRateLimitDecision Decision, string? NewState, TimeSpan NewStateTtl);

/// <summary>
/// The fixed-window, sliding-window and token-bucket algorithms as pure functions of (state, request, now): the one C#
/// definition, with one text state format, for every backend kind that runs them in process. This file is compiled
/// into each package that needs it (Kv.Memory and Kv.Sqlite, which decide atomically in their own engines, and
/// Kv.AspNetCore, whose portable fallback decides with a version-checked commit), so none depends on another for it.
/// Redis runs its own Lua implementation (RedisRateLimitScripts) on its own hash state, which never meets this one;
/// the limiter tests hold both to the same decisions.
/// </summary>
/// <remarks>
/// State is ASCII text, stored as a JSON string. Fixed window: <c>windowIndex:count</c>. Sliding window: <c>index:count</c> pairs separated by <c>;</c>, one per segment (the index is
/// <c>⌊unix ms / segment ms⌋</c>). Token bucket: <c>tokens:lastRefillUnixMs</c>. Unparsable state (it cannot happen
/// unless someone wrote the reserved key behind Kv's back) is a <see cref="KvErrorCode.StoreOperationFailed"/>.
/// </remarks>
internal static class KvRateLimitAlgorithms
{
    /// <summary>Encodes a state as a stored payload: a JSON string, so the store's payloads stay JSON.</summary>
    public static byte[] EncodeState(string state) => Encoding.ASCII.GetBytes("\"" + state + "\"");

    /// <summary>Decodes a payload written by <see cref="EncodeState"/>.</summary>
    public static string DecodeState(byte[] payload) =>
        payload.Length >= 2 && payload[0] == (byte)'"' && payload[^1] == (byte)'"'
            ? Encoding.ASCII.GetString(payload, 1, payload.Length - 2)
            : throw CorruptState();

    public static KvRateLimitStateChange DecideFixedWindow(string? state, KvFixedWindowRequest request, long nowMilliseconds)
    {
        long window = request.WindowMilliseconds;
        long index = FloorDiv(nowMilliseconds, window);
        long count = 0;
        if (state is not null)
        {
            (long stored, long storedCount) = ParsePair(state, allowNegativeFirst: true);

            // A later window (written by an instance whose clock runs ahead) is kept, never replaced by an earlier one.
            if (stored >= index)
            {
                index = stored;
                count = storedCount;
            }
        }

        long limit = request.PermitLimit;
        int permits = request.Permits;
        var ends = TimeSpan.FromMilliseconds(((index + 1) * window) - nowMilliseconds);
        if (permits == 0)
        {
            return count < limit
                ? new(new(true, limit - count, TimeSpan.Zero), null, TimeSpan.Zero)
                : new(new(false, 0, ends), null, TimeSpan.Zero);
        }

        // A rejected request counts nothing, so a smaller request may still fit.
        if (count + permits > limit)
        {
            return new(new(false, Math.Max(0, limit - count), ends), null, TimeSpan.Zero);
        }

        string text = string.Create(CultureInfo.InvariantCulture, $"{index}:{count + permits}");
        return new(new(true, limit - count - permits, TimeSpan.Zero), text, ends);
    }

    public static KvRateLimitStateChange DecideSlidingWindow(string? state, KvSlidingWindowRequest request, long nowMilliseconds)
    {
        long segment = request.SegmentMilliseconds;
        int segments = request.SegmentsPerWindow;
        long current = FloorDiv(nowMilliseconds, segment);

        // The current segment and the `segments` before it: the oldest is only partly inside the window, and counting
        // it whole is what guarantees that no window of the full length admits more than the limit.
        long oldest = current - segments;
        var live = new List<(long Index, long Count)>();
        long used = 0;
        long newest = current;
        foreach ((long index, long count) in ParseSegments(state))
        {
            if (index >= oldest)
            {
                live.Add((index, count));
                used += count;
                newest = Math.Max(newest, index);
            }
        }

        long limit = request.PermitLimit;
        int permits = request.Permits;
        if (permits == 0)
        {
            return used < limit
                ? new(new(true, limit - used, TimeSpan.Zero), null, TimeSpan.Zero)
                : Rejected(live, used, 1);
        }

        if (used + permits > limit)
        {
            return Rejected(live, used, permits);
        }

        var text = new StringBuilder();
        bool added = false;
        foreach ((long index, long count) in live)
        {
            long total = index == current ? count + permits : count;
            added |= index == current;
            Append(text, index, total);
        }

        if (!added)
        {
            Append(text, current, permits);
        }

        // The state means nothing once its newest segment has left the counted range.
        long ttl = ((newest + segments + 1) * segment) - nowMilliseconds;
        return new(new(true, limit - used - permits, TimeSpan.Zero), text.ToString(), TimeSpan.FromMilliseconds(ttl));

        KvRateLimitStateChange Rejected(List<(long Index, long Count)> segmentsLeft, long inUse, int needed)
        {
            // The earliest time enough of the oldest segments have left the counted range.
            segmentsLeft.Sort(static (a, b) => a.Index.CompareTo(b.Index));
            long remaining = inUse;
            long retry = segment;
            foreach ((long index, long count) in segmentsLeft)
            {
                remaining -= count;
                if (remaining + needed <= limit)
                {
                    retry = ((index + segments + 1) * segment) - nowMilliseconds;
                    break;
                }
            }

            return new(new(false, Math.Max(0, limit - inUse), TimeSpan.FromMilliseconds(Math.Max(1, retry))), null, TimeSpan.Zero);
        }
    }

    public static KvRateLimitStateChange DecideTokenBucket(string? state, KvTokenBucketRequest request, long nowMilliseconds)
    {
        long period = request.PeriodMilliseconds;
        long perPeriod = request.TokensPerPeriod;
        long limit = request.TokenLimit;

        // No state is a full bucket.
        (long tokens, long last) = state is null ? (limit, nowMilliseconds) : ParseBucket(state);
        tokens = Math.Min(tokens, limit); // The limit may have been lowered since the state was written.
        if (nowMilliseconds > last)
        {
            long periods = (nowMilliseconds - last) / period;
            if (periods > 0)
            {
                long toFull = CeilDiv(limit - tokens, perPeriod);
                tokens = periods >= toFull ? limit : tokens + (periods * perPeriod);

                // Refills happen in whole periods from the last one, so the phase is kept.
                last += periods * period;
            }
        }

        int permits = request.Permits;
        if (permits > 0 && tokens >= permits)
        {
            tokens -= permits;
            long ttl = (CeilDiv(limit - tokens, perPeriod) * period) - (nowMilliseconds - last);
            string text = string.Create(CultureInfo.InvariantCulture, $"{tokens}:{last}");
            return new(new(true, tokens, TimeSpan.Zero), text, TimeSpan.FromMilliseconds(Math.Max(1, ttl)));
        }

        if (permits == 0 && tokens > 0)
        {
            return new(new(true, tokens, TimeSpan.Zero), null, TimeSpan.Zero);
        }

        long needed = permits == 0 ? 1 : permits - tokens;
        long retry = last + (CeilDiv(needed, perPeriod) * period) - nowMilliseconds;
        return new(new(false, tokens, TimeSpan.FromMilliseconds(Math.Max(1, retry))), null, TimeSpan.Zero);
    }

    private static IEnumerable<(long Index, long Count)> ParseSegments(string? state)
    {
        if (string.IsNullOrEmpty(state))
        {
            yield break;
        }

        foreach (string part in state.Split(';'))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0
                || !long.TryParse(part.AsSpan(0, colon), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long index)
                || !long.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long count))
            {
                throw CorruptState();
            }

            yield return (index, count);
        }
    }

    private static (long Tokens, long Last) ParseBucket(string state)
    {
        (long last, long tokens) = ParsePair(state, allowNegativeFirst: false);
        return (last, tokens);
    }

    private static (long First, long Second) ParsePair(string state, bool allowNegativeFirst)
    {
        int colon = state.IndexOf(':', StringComparison.Ordinal);
        NumberStyles first = allowNegativeFirst ? NumberStyles.AllowLeadingSign : NumberStyles.None;
        NumberStyles second = allowNegativeFirst ? NumberStyles.None : NumberStyles.AllowLeadingSign;
        if (colon <= 0
            || !long.TryParse(state.AsSpan(0, colon), first, CultureInfo.InvariantCulture, out long a)
            || !long.TryParse(state.AsSpan(colon + 1), second, CultureInfo.InvariantCulture, out long b))
        {
            throw CorruptState();
        }

        return (a, b);
    }

    private static void Append(StringBuilder text, long index, long count)
    {
        if (text.Length > 0)
        {
            text.Append(';');
        }

        text.Append(CultureInfo.InvariantCulture, $"{index}:{count}");
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : ((a + 1) / b) - 1;

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static KvException CorruptState() =>
        new(KvErrorCode.StoreOperationFailed, "A rate limiter's state in the store is not in the format Kv writes; it was changed behind Kv's back.");
}
