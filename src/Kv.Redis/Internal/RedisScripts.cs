namespace Kv.Internal;

/// <summary>
/// The Lua scripts of the Redis backend. Each touches only the keys passed in KEYS (all in the hash slot of one root
/// namespace, see <see cref="RedisKeyLayout"/>), so it runs on Redis Cluster. StackExchange.Redis sends them as
/// one <c>EVAL</c> each (see RedisKvStore.EvaluateAsync): one command on the server per call, with no script cache to keep.
/// </summary>
/// <remarks>
/// <para>Every write updates the data key and the namespace's index (<c>ord</c>, <c>exp</c>, <c>ix</c>) in the same
/// script, so the index is exactly as consistent as the data. A key with a TTL is written with <c>SET</c> then <c>PEXPIREAT at</c> (one script; Garnet rejects <c>SET … PXAT</c>)
/// and scored <c>at</c> in <c>exp</c>, where <c>at</c> is computed from Redis's own clock (<c>TIME</c>): data and
/// index expire at the same instant. A member is expired when <c>now &gt; at</c>, the comparison Redis itself
/// makes.</para>
/// <para>An index record (<c>ix</c>) is <c>version:payloadLength:metadata</c>, the metadata being the entry's UTF-8
/// JSON or empty for none. Versions come from the root's counter (<c>INCR</c>, once per write).</para>
/// <para>Lua numbers are doubles: 64-bit values travel as strings, and numbers given to commands are formatted
/// with <c>%.0f</c> (never in exponent form).</para>
/// </remarks>
internal static class RedisScripts
{
    /// <summary>Status of a successful increment.</summary>
    public const string Ok = "ok";

    /// <summary>Status of an increment on a value that is not a 64-bit integer.</summary>
    public const string NotNumeric = "not-numeric";

    /// <summary>Status of an increment that would overflow.</summary>
    public const string Overflow = "overflow";

    /// <summary>The helpers every script starts with.</summary>
    private const string Prelude = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        local function int(n)
          return string.format('%.0f', n)
        end

        local function record(version, length, meta)
          return int(version) .. ':' .. int(length) .. ':' .. meta
        end

        local function meta_of(rec)
          if not rec then
            return ''
          end
          local a = string.find(rec, ':', 1, true)
          local b = string.find(rec, ':', a + 1, true)
          return string.sub(rec, b + 1)
        end

        local function version_of(rec)
          return string.sub(rec, 1, string.find(rec, ':', 1, true) - 1)
        end

        local function forget(ord, exp, ix, member)
          redis.call('ZREM', ord, member)
          redis.call('ZREM', exp, member)
          redis.call('HDEL', ix, member)
        end

        local function sweep(ord, exp, ix, now, count)
          local due = redis.call('ZRANGEBYSCORE', exp, '-inf', '(' .. int(now), 'LIMIT', 0, count)
          for _, member in ipairs(due) do
            forget(ord, exp, ix, member)
          end
          return #due
        end

        local function put(data, ord, exp, ix, registry, member, ns, payload, ttl, meta, version, now)
          if ttl == '' then
            redis.call('SET', data, payload)
            redis.call('ZREM', exp, member)
          else
            local at = int(now + tonumber(ttl))
            -- SET then PEXPIREAT rather than SET ... PXAT, which Garnet rejects: same instant, same atomicity.
            redis.call('SET', data, payload)
            redis.call('PEXPIREAT', data, at)
            redis.call('ZADD', exp, at, member)
            redis.call('SADD', registry, ns)
          end
          redis.call('ZADD', ord, 0, member)
          redis.call('HSET', ix, member, record(version, #payload, meta))
        end

        local function exceeds(digits, limit)
          if #digits ~= #limit then
            return #digits > #limit
          end
          for i = 1, #digits do
            local d, l = string.byte(digits, i), string.byte(limit, i)
            if d ~= l then
              return d > l
            end
          end
          return false
        end

        local function is_integer(s)
          if s ~= '0' and not string.find(s, '^%-?[1-9][0-9]*$') then
            return false
          end
          local digits, limit = s, '9223372036854775807'
          if string.byte(s, 1) == 45 then
            digits = string.sub(s, 2)
            limit = '9223372036854775808'
          end
          return not exceeds(digits, limit)
        end

        """;

    /// <summary>
    /// Reads a value, its remaining TTL and its index record in one step. KEYS: data, ix. ARGV: key. Returns nil for a
    /// missing key, else { value, PTTL in milliseconds (-1 when permanent), record or nil }.
    /// </summary>
    public const string GetEntry = """
        local value = redis.call('GET', KEYS[1])
        if not value then
          return false
        end
        return { value, redis.call('PTTL', KEYS[1]), redis.call('HGET', KEYS[2], ARGV[1]) }
        """;

    /// <summary>
    /// Stores a value (ARGV[6] = <c>set</c>) or stores it only when the key is missing (<c>nx</c>), with its TTL and
    /// index records, under a new version. KEYS: data, ord, exp, ix, ver, registry. ARGV: key, namespace path, payload,
    /// TTL in ms or empty, metadata or empty, mode. Returns the new version, or 0 when <c>nx</c> found the key.
    /// </summary>
    public const string Set = Prelude + """
        local now = now_ms()
        if ARGV[6] == 'nx' and redis.call('EXISTS', KEYS[1]) == 1 then
          return 0
        end
        local version = redis.call('INCR', KEYS[5])
        put(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], version, now)
        sweep(KEYS[2], KEYS[3], KEYS[4], now, 2)
        return version
        """;

    /// <summary>
    /// Adds to a 64-bit integer (keeping its TTL and metadata), or creates a missing key with the amount, the TTL and
    /// the metadata; either way under a new version. KEYS: data, ord, exp, ix, ver, registry. ARGV: key, namespace
    /// path, amount in decimal, TTL in ms of a created key or empty, metadata of a created key or empty.
    /// Returns { 'ok', new value as a string } (a string, because Lua numbers are doubles and would lose 64-bit
    /// precision), { 'not-numeric' } or { 'overflow' }; in the last two cases nothing changed.
    /// </summary>
    /// <remarks>
    /// An integer is exactly what <see cref="KvValueSerializer.TryParseInteger"/> accepts: <c>0</c>, or an optional
    /// minus and digits without a leading zero, within the 64-bit range. INCRBY keeps the key's TTL.
    /// </remarks>
    public const string Increment = Prelude + """
        local now = now_ms()
        local current = redis.call('GET', KEYS[1])
        local value
        if not current then
          value = ARGV[3]
          local version = redis.call('INCR', KEYS[5])
          put(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6], ARGV[1], ARGV[2], value, ARGV[4], ARGV[5], version, now)
        else
          if not is_integer(current) then
            return { 'not-numeric' }
          end
          local result = redis.pcall('INCRBY', KEYS[1], ARGV[3])
          if type(result) == 'table' and result.err then
            -- current is an integer (checked above) and so is the increment, so the only INCRBY error left is an
            -- overflow: Redis says 'increment or decrement would overflow', Garnet 'value is not an integer or out
            -- of range'.
            if string.find(result.err, 'overflow', 1, true) or string.find(result.err, 'out of range', 1, true) then
              return { 'overflow' }
            end
            return result
          end
          value = redis.call('GET', KEYS[1])
          local version = redis.call('INCR', KEYS[5])
          redis.call('ZADD', KEYS[2], 0, ARGV[1])
          redis.call('HSET', KEYS[4], ARGV[1], record(version, #value, meta_of(redis.call('HGET', KEYS[4], ARGV[1]))))
        end
        sweep(KEYS[2], KEYS[3], KEYS[4], now, 2)
        return { 'ok', value }
        """;

    /// <summary>
    /// Deletes a key and its index records. KEYS: data, ord, exp, ix. ARGV: key. Returns 1 when a live key was deleted.
    /// </summary>
    public const string Delete = Prelude + """
        local deleted = redis.call('DEL', KEYS[1])
        forget(KEYS[2], KEYS[3], KEYS[4], ARGV[1])
        sweep(KEYS[2], KEYS[3], KEYS[4], now_ms(), 2)
        return deleted
        """;

    /// <summary>
    /// Sets a live key's TTL from now (data expiry and index expiry the same instant); the version is unchanged.
    /// KEYS: data, ord, exp, ix, registry. ARGV: key, namespace path, TTL in ms. Returns 1, or 0 for a missing key.
    /// </summary>
    public const string Expire = Prelude + """
        local now = now_ms()
        local result = 0
        if redis.call('EXISTS', KEYS[1]) == 1 then
          local at = int(now + tonumber(ARGV[3]))
          redis.call('PEXPIREAT', KEYS[1], at)
          redis.call('ZADD', KEYS[2], 0, ARGV[1])
          redis.call('ZADD', KEYS[3], at, ARGV[1])
          redis.call('SADD', KEYS[5], ARGV[2])
          result = 1
        else
          forget(KEYS[2], KEYS[3], KEYS[4], ARGV[1])
        end
        sweep(KEYS[2], KEYS[3], KEYS[4], now, 2)
        return result
        """;

    /// <summary>
    /// Makes a live key permanent. KEYS: data, ord, exp, ix. ARGV: key. Returns 1 when the key existed and had a TTL.
    /// </summary>
    public const string Persist = Prelude + """
        -- EXISTS first: Garnet 2.2.8 raises a Lua error for PERSIST on a key that has expired but is not yet removed.
        local result = 0
        if redis.call('EXISTS', KEYS[1]) == 0 then
          forget(KEYS[2], KEYS[3], KEYS[4], ARGV[1])
        else
          result = redis.call('PERSIST', KEYS[1])
          if result == 1 then
            redis.call('ZREM', KEYS[3], ARGV[1])
          end
        end
        sweep(KEYS[2], KEYS[3], KEYS[4], now_ms(), 2)
        return result
        """;

    /// <summary>
    /// Stores many values of one namespace, all under one new version and one TTL. KEYS: ord, exp, ix, ver, registry,
    /// then one data key per value. ARGV: namespace path, TTL in ms or empty, then key, payload, metadata (or empty)
    /// per value. Returns the version.
    /// </summary>
    public const string SetMany = Prelude + """
        local now = now_ms()
        local version = redis.call('INCR', KEYS[4])
        for i = 1, #KEYS - 5 do
          local a = 3 + (i - 1) * 3
          put(KEYS[5 + i], KEYS[1], KEYS[2], KEYS[3], KEYS[5], ARGV[a], ARGV[1], ARGV[a + 1], ARGV[2], ARGV[a + 2], version, now)
        end
        sweep(KEYS[1], KEYS[2], KEYS[3], now, 2)
        return version
        """;

    /// <summary>
    /// Deletes many keys of one namespace. KEYS: ord, exp, ix, then the data keys. ARGV: the keys. Returns how many
    /// live keys were deleted.
    /// </summary>
    public const string DeleteMany = Prelude + """
        local deleted = 0
        for i = 4, #KEYS do
          deleted = deleted + redis.call('DEL', KEYS[i])
          forget(KEYS[1], KEYS[2], KEYS[3], ARGV[i - 3])
        end
        sweep(KEYS[1], KEYS[2], KEYS[3], now_ms(), 2)
        return deleted
        """;

    /// <summary>
    /// Reads one chunk of a namespace's keys in lexicographic order, from its index only. KEYS: ord, exp, ix. ARGV:
    /// ZRANGEBYLEX min, max, chunk size, mode (<c>info</c>, <c>name</c> or <c>record</c>). Returns { Redis time in ms,
    /// how many members the chunk scanned, the last one scanned (or empty), then for each live member: the key, and
    /// unless the mode is <c>name</c> its expiry in Redis ms (or empty) and its record (or empty) }.
    /// </summary>
    public const string List = Prelude + """
        local now = now_ms()
        local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
        local reply = { int(now), #members, members[#members] or '' }
        local details = ARGV[4] ~= 'name'
        for _, member in ipairs(members) do
          local expiry = redis.call('ZSCORE', KEYS[2], member)
          if not expiry or tonumber(expiry) >= now then
            reply[#reply + 1] = member
            if details then
              reply[#reply + 1] = expiry or ''
              reply[#reply + 1] = redis.call('HGET', KEYS[3], member) or ''
            end
          end
        end
        return reply
        """;

    /// <summary>
    /// Counts a namespace's live keys: all keys minus those whose expiry has passed. KEYS: ord, exp.
    /// </summary>
    public const string CountAll = Prelude + """
        return redis.call('ZCARD', KEYS[1]) - redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. int(now_ms()))
        """;

    /// <summary>
    /// Reads the index records of live keys. KEYS: ix, exp. ARGV: the keys. Returns one record per key, empty for a
    /// missing or expired key.
    /// </summary>
    public const string Records = Prelude + """
        local now = now_ms()
        local reply = {}
        for i, member in ipairs(ARGV) do
          local rec = redis.call('HGET', KEYS[1], member)
          local expiry = redis.call('ZSCORE', KEYS[2], member)
          if rec and (not expiry or tonumber(expiry) >= now) then
            reply[i] = rec
          else
            reply[i] = ''
          end
        end
        return reply
        """;

    /// <summary>
    /// Removes up to ARGV[2] index records of a namespace whose expiry has passed, and drops the namespace from its
    /// root's registry once it holds no TTL entry. KEYS: ord, exp, ix, registry. ARGV: namespace path, batch size.
    /// Returns how many records it removed.
    /// </summary>
    public const string Collect = Prelude + """
        local removed = sweep(KEYS[1], KEYS[2], KEYS[3], now_ms(), tonumber(ARGV[2]))
        if redis.call('ZCARD', KEYS[2]) == 0 then
          redis.call('SREM', KEYS[4], ARGV[1])
        end
        return removed
        """;

    /// <summary>
    /// Commits a transaction. KEYS: the version counter of each involved root (R of them), the registry of each root,
    /// ord/exp/ix of each involved namespace (N of them), then the data keys. ARGV: R, N, the operation count, then per
    /// namespace its path and its root's number (1-based), then per operation seven fields: kind (<c>check</c>,
    /// <c>set</c>, <c>delete</c>, <c>increment</c>), the data key's KEYS index, the namespace's number, the key, the
    /// argument (expected version or empty, payload, or amount), the TTL in ms or empty, the metadata or empty.
    /// Returns { 0 } when a check failed (nothing changed), { 'not-numeric' } or { 'overflow' } (nothing changed), or
    /// { 1, version } (0 when nothing was written).
    /// </summary>
    /// <remarks>
    /// Checks compare against the state before the transaction. Every increment is computed (with exact 64-bit
    /// decimal arithmetic in two base-10⁹ halves) before anything is written. All writes get one version: every
    /// involved root's counter is incremented, the largest result is the version, and every counter is set to it, so
    /// each root's versions stay strictly increasing.
    /// </remarks>
    public const string Commit = Prelude + """
        local function halves(s)
          local negative = string.byte(s, 1) == 45
          local digits = s
          if negative then
            digits = string.sub(s, 2)
          end
          local n = #digits
          local high, low = 0, tonumber(digits)
          if n > 9 then
            high = tonumber(string.sub(digits, 1, n - 9))
            low = tonumber(string.sub(digits, n - 8))
          end
          if negative then
            return -high, -low
          end
          return high, low
        end

        local function add(current, by)
          if not is_integer(current) then
            return nil, 'not-numeric'
          end
          local ah, al = halves(current)
          local bh, bl = halves(by)
          local high, low = ah + bh, al + bl
          if low >= 1e9 then
            high, low = high + 1, low - 1e9
          elseif low <= -1e9 then
            high, low = high - 1, low + 1e9
          end
          if high > 0 and low < 0 then
            high, low = high - 1, low + 1e9
          elseif high < 0 and low > 0 then
            high, low = high + 1, low - 1e9
          end
          local negative = high < 0 or (high == 0 and low < 0)
          high, low = math.abs(high), math.abs(low)
          local digits = int(low)
          if high > 0 then
            digits = int(high) .. string.format('%09.0f', low)
          end
          local limit = '9223372036854775807'
          if negative then
            limit = '9223372036854775808'
          end
          if exceeds(digits, limit) then
            return nil, 'overflow'
          end
          if negative then
            return '-' .. digits
          end
          return digits
        end

        local now = now_ms()
        local roots, namespaces, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local first = 4 + 2 * namespaces

        local function index_keys(n)
          local base = 2 * roots + 3 * (n - 1)
          return KEYS[base + 1], KEYS[base + 2], KEYS[base + 3]
        end

        local function ns_path(n)
          return ARGV[4 + 2 * (n - 1)]
        end

        local function registry_of(n)
          return KEYS[roots + tonumber(ARGV[5 + 2 * (n - 1)])]
        end

        for i = 0, count - 1 do
          local o = first + i * 7
          if ARGV[o] == 'check' then
            local data = KEYS[tonumber(ARGV[o + 1])]
            local _, _, ix = index_keys(tonumber(ARGV[o + 2]))
            local expected = ARGV[o + 4]
            local exists = redis.call('EXISTS', data) == 1
            if expected == '' then
              if exists then
                return { 0 }
              end
            else
              local rec = exists and redis.call('HGET', ix, ARGV[o + 3])
              if not rec or version_of(rec) ~= expected then
                return { 0 }
              end
            end
          end
        end

        local values, created, state, writes = {}, {}, {}, 0
        for i = 0, count - 1 do
          local o = first + i * 7
          local kind, slot = ARGV[o], ARGV[o + 1]
          if kind == 'set' then
            state[slot] = ARGV[o + 4]
            writes = writes + 1
          elseif kind == 'delete' then
            state[slot] = false
            writes = writes + 1
          elseif kind == 'increment' then
            writes = writes + 1
            local current = state[slot]
            if current == nil then
              current = redis.call('GET', KEYS[tonumber(slot)])
            end
            if not current then
              created[i] = true
              values[i] = ARGV[o + 4]
            else
              local sum, problem = add(current, ARGV[o + 4])
              if not sum then
                return { problem }
              end
              values[i] = sum
            end
            state[slot] = values[i]
          end
        end

        if writes == 0 then
          return { 1, 0 }
        end

        local version = 0
        for r = 1, roots do
          local v = redis.call('INCR', KEYS[r])
          if v > version then
            version = v
          end
        end
        if roots > 1 then
          for r = 1, roots do
            redis.call('SET', KEYS[r], int(version))
          end
        end

        for i = 0, count - 1 do
          local o = first + i * 7
          local kind = ARGV[o]
          if kind ~= 'check' then
            local n = tonumber(ARGV[o + 2])
            local data, member = KEYS[tonumber(ARGV[o + 1])], ARGV[o + 3]
            local ord, exp, ix = index_keys(n)
            if kind == 'set' then
              put(data, ord, exp, ix, registry_of(n), member, ns_path(n), ARGV[o + 4], ARGV[o + 5], ARGV[o + 6], version, now)
            elseif kind == 'delete' then
              redis.call('DEL', data)
              forget(ord, exp, ix, member)
            elseif created[i] then
              put(data, ord, exp, ix, registry_of(n), member, ns_path(n), values[i], ARGV[o + 5], ARGV[o + 6], version, now)
            else
              redis.call('SET', data, values[i], 'KEEPTTL')
              redis.call('ZADD', ord, 0, member)
              redis.call('HSET', ix, member, record(version, #values[i], meta_of(redis.call('HGET', ix, member))))
            end
          end
        end

        for n = 1, namespaces do
          local ord, exp, ix = index_keys(n)
          sweep(ord, exp, ix, now, 2)
        end
        return { 1, version }
        """;
}
