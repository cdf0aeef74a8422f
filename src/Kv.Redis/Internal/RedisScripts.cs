namespace Kv.Internal;

/// <summary>
/// The Lua scripts of the Redis backend. Each touches only the keys passed in KEYS, so it runs on Redis Cluster.
/// StackExchange.Redis sends them as EVALSHA (loading a script once per server, in the same write).
/// </summary>
internal static class RedisScripts
{
    /// <summary>Status of a successful <see cref="Increment"/>.</summary>
    public const string Ok = "ok";

    /// <summary>Status of an <see cref="Increment"/> on a value that is not a 64-bit integer.</summary>
    public const string NotNumeric = "not-numeric";

    /// <summary>Status of an <see cref="Increment"/> that would overflow.</summary>
    public const string Overflow = "overflow";

    /// <summary>
    /// Reads a value and its remaining TTL in one step. KEYS[1]: the key. Returns nil for a missing key, else
    /// { value, PTTL in milliseconds (-1 when permanent) }.
    /// </summary>
    public const string GetWithTtl = """
        local value = redis.call('GET', KEYS[1])
        if not value then
          return false
        end
        return { value, redis.call('PTTL', KEYS[1]) }
        """;

    /// <summary>
    /// Adds to a 64-bit integer, or creates a missing key with the amount and a TTL. KEYS[1]: the key; ARGV[1]: the
    /// amount, in decimal; ARGV[2]: the TTL in milliseconds of a created key, or the empty string for none.
    /// Returns { 'ok', new value as a string } (a string, because Lua numbers are doubles and would lose 64-bit
    /// precision), { 'not-numeric' } or { 'overflow' }; in the last two cases nothing changed.
    /// </summary>
    /// <remarks>
    /// An integer is exactly what <see cref="KvValueSerializer.TryParseInteger"/> accepts: <c>0</c>, or an optional
    /// minus and digits without a leading zero, within the 64-bit range. INCRBY keeps the key's TTL.
    /// </remarks>
    public const string Increment = """
        local current = redis.call('GET', KEYS[1])
        if not current then
          if ARGV[2] == '' then
            redis.call('SET', KEYS[1], ARGV[1])
          else
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          end
          return { 'ok', ARGV[1] }
        end

        if current ~= '0' and not string.find(current, '^%-?[1-9][0-9]*$') then
          return { 'not-numeric' }
        end

        local digits = current
        local limit = '9223372036854775807'
        if string.byte(current, 1) == 45 then
          digits = string.sub(current, 2)
          limit = '9223372036854775808'
        end
        if #digits > 19 then
          return { 'not-numeric' }
        end
        if #digits == 19 then
          for i = 1, 19 do
            local d, l = string.byte(digits, i), string.byte(limit, i)
            if d ~= l then
              if d > l then
                return { 'not-numeric' }
              end
              break
            end
          end
        end

        local result = redis.pcall('INCRBY', KEYS[1], ARGV[1])
        if type(result) == 'table' and result.err then
          if string.find(result.err, 'overflow', 1, true) then
            return { 'overflow' }
          end
          return result
        end
        return { 'ok', redis.call('GET', KEYS[1]) }
        """;
}
