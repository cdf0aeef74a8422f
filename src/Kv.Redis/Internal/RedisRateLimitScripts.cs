using Kv.RateLimiting;

namespace Kv.Internal;

/// <summary>
/// The rate limiters' Lua scripts: one per decision, so each decision is one round trip and atomic across every
/// application instance. Each touches only KEYS[1], the partition's state key (a reserved key of the namespace, see
/// <see cref="IKvRateLimitStore"/>), so it runs on Redis Cluster; every write sets a TTL in the same script, so no
/// limiter key ever lives without one.
/// </summary>
/// <remarks>
/// <para>Time is the application's clock, sent in ARGV[1] (Unix milliseconds), not Redis's TIME: the decisions then
/// follow the same clock as the in-process backend and as a test's fake clock, and the script is deterministic (safe
/// to replicate as a script). Instances sharing a Redis need synchronized clocks.</para>
/// <para>This is Redis's one definition of the three algorithms, on its own hash state (no other backend reads it); the
/// limiter tests of Kv.AspNetCore run the same assertions on it as on the C# definition. Every script
/// returns <c>{ acquired (0/1), remaining permits, retry-after ms (0 when acquired) }</c>. Lua numbers are doubles:
/// every value here (milliseconds since 1970, counts bounded by an int limit) is far below 2^53, and numbers written
/// back are formatted with <c>%d</c>.</para>
/// </remarks>
internal static class RedisRateLimitScripts
{
    /// <summary>
    /// Fixed window, one hash per partition: field <c>w</c> the window index (⌊now / window⌋), <c>c</c> its count.
    /// ARGV: now ms, window ms, limit, permits. A rejected request counts nothing. A state of a later window (an
    /// instance whose clock runs ahead) is kept, never overwritten with an earlier one.
    /// </summary>
    public const string FixedWindow = """
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local limit = tonumber(ARGV[3])
        local permits = tonumber(ARGV[4])
        local index = math.floor(now / window)
        local count = 0
        local state = redis.call('HMGET', KEYS[1], 'w', 'c')
        if state[1] then
          local stored = tonumber(state[1])
          if stored >= index then
            index = stored
            count = tonumber(state[2])
          end
        end
        local ends = (index + 1) * window - now
        if permits == 0 then
          if count < limit then
            return { 1, limit - count, 0 }
          end
          return { 0, 0, ends }
        end
        if count + permits > limit then
          return { 0, math.max(0, limit - count), ends }
        end
        redis.call('HSET', KEYS[1], 'w', string.format('%d', index), 'c', string.format('%d', count + permits))
        redis.call('PEXPIRE', KEYS[1], string.format('%d', ends))
        return { 1, limit - count - permits, 0 }
        """;

    /// <summary>
    /// Sliding window of segments, one hash per partition: field = segment index (⌊now / segment⌋), value = its
    /// count. ARGV: now ms, segment ms, segments per window, limit, permits. Counts the current segment and the
    /// <c>segments</c> before it (the oldest only partly inside the window counts whole: no window of the full length
    /// ever admits more than the limit). Segments older than that are deleted when permits are taken; the TTL is set
    /// to when the newest segment leaves the counted range, after which the hash means nothing.
    /// </summary>
    public const string SlidingWindow = """
        local now = tonumber(ARGV[1])
        local segment = tonumber(ARGV[2])
        local segments = tonumber(ARGV[3])
        local limit = tonumber(ARGV[4])
        local permits = tonumber(ARGV[5])
        local current = math.floor(now / segment)
        local oldest = current - segments
        local raw = redis.call('HGETALL', KEYS[1])
        local live = {}
        local stale = {}
        local used = 0
        local newest = current
        for i = 1, #raw, 2 do
          local index = tonumber(raw[i])
          local count = tonumber(raw[i + 1])
          if index < oldest then
            stale[#stale + 1] = raw[i]
          else
            live[#live + 1] = { index, count }
            used = used + count
            if index > newest then
              newest = index
            end
          end
        end
        if permits == 0 and used < limit then
          return { 1, limit - used, 0 }
        end
        if permits > 0 and used + permits <= limit then
          if #stale > 0 then
            redis.call('HDEL', KEYS[1], unpack(stale))
          end
          redis.call('HINCRBY', KEYS[1], string.format('%d', current), permits)
          redis.call('PEXPIRE', KEYS[1], string.format('%d', (newest + segments + 1) * segment - now))
          return { 1, limit - used - permits, 0 }
        end
        local needed = permits
        if needed == 0 then
          needed = 1
        end
        table.sort(live, function(a, b) return a[1] < b[1] end)
        local remaining = used
        local retry = segment
        for _, s in ipairs(live) do
          remaining = remaining - s[2]
          if remaining + needed <= limit then
            retry = (s[1] + segments + 1) * segment - now
            break
          end
        end
        return { 0, math.max(0, limit - used), math.max(1, retry) }
        """;

    /// <summary>
    /// Token bucket, one hash per partition: <c>t</c> the tokens, <c>ts</c> the time of the last refill (ms). No state
    /// is a full bucket. ARGV: now ms, period ms, tokens per period, token limit, permits. Refills in whole periods from
    /// <c>ts</c>; the TTL is the time until the bucket is full again, after which no state means the same.
    /// </summary>
    public const string TokenBucket = """
        local now = tonumber(ARGV[1])
        local period = tonumber(ARGV[2])
        local perPeriod = tonumber(ARGV[3])
        local limit = tonumber(ARGV[4])
        local permits = tonumber(ARGV[5])
        local tokens = limit
        local last = now
        local state = redis.call('HMGET', KEYS[1], 't', 'ts')
        if state[1] then
          tokens = math.min(tonumber(state[1]), limit)
          last = tonumber(state[2])
        end
        if now > last then
          local periods = math.floor((now - last) / period)
          if periods > 0 then
            local toFull = math.ceil((limit - tokens) / perPeriod)
            if periods >= toFull then
              tokens = limit
            else
              tokens = tokens + periods * perPeriod
            end
            last = last + periods * period
          end
        end
        if permits > 0 and tokens >= permits then
          tokens = tokens - permits
          local ttl = math.ceil((limit - tokens) / perPeriod) * period - (now - last)
          redis.call('HSET', KEYS[1], 't', string.format('%d', tokens), 'ts', string.format('%d', last))
          redis.call('PEXPIRE', KEYS[1], string.format('%d', math.max(1, ttl)))
          return { 1, tokens, 0 }
        end
        if permits == 0 and tokens > 0 then
          return { 1, tokens, 0 }
        end
        local needed = permits - tokens
        if permits == 0 then
          needed = 1
        end
        return { 0, tokens, math.max(1, last + math.ceil(needed / perPeriod) * period - now) }
        """;
}
