using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The Lua scripts of the Redis backend, each with its typed factory: callers pass named parameters and never count
/// KEYS or ARGV positions (see <see cref="RedisScript"/>; the shared helpers are in <see cref="RedisLua"/>). Each script
/// touches only the keys passed in KEYS (all in the hash slot of one root namespace, see <see cref="RedisKeyLayout"/>),
/// so it runs on Redis Cluster. Each is sent as one <c>EVAL</c> (see <see cref="RedisKvStore.EvaluateAsync"/>): one
/// command from the client per call, with no script cache to keep.
/// </summary>
/// <remarks>
/// <para>Every write updates the data key and the namespace's index (<c>ord</c>, <c>exp</c>, <c>ix</c>) in the same
/// script, so the index is exactly as consistent as the data. A key with a TTL is written with <c>SET</c> then
/// <c>PEXPIREAT at</c> (Garnet rejects <c>SET … PXAT</c>) and scored <c>at</c> in <c>exp</c>, where <c>at</c> is
/// computed from Redis's own clock (<c>TIME</c>): data and index expire at the same instant. A member is expired when
/// <c>now &gt; at</c>, the comparison Redis itself makes.</para>
/// <para>An index record (<c>ix</c>) is <c>version:payloadLength:metadata</c>, the metadata being the entry's UTF-8
/// JSON or empty for none. Versions come from the root's counter (<c>INCR</c>, once per write). The commands each
/// script runs are listed in docs/redis.md ("What each operation costs").</para>
/// </remarks>
internal static class RedisScripts
{
    /// <summary>Status of a successful increment.</summary>
    public const string Ok = "ok";

    /// <summary>Status of an increment on a value that is not a 64-bit integer.</summary>
    public const string NotNumeric = "not-numeric";

    /// <summary>Status of an increment that would overflow.</summary>
    public const string Overflow = "overflow";

    private static readonly RedisValue Empty = string.Empty;

    /// <summary>
    /// Reads a value, its remaining TTL and its index record. Returns nil for a missing key, else { value, PTTL in
    /// milliseconds (-1 when permanent), record or nil }.
    /// </summary>
    public static readonly RedisScript GetEntry = new(nameof(GetEntry), keys: "data ix", args: "key", """
        local value = redis.call('GET', data)
        if not value then
          return false
        end
        return { value, redis.call('PTTL', data), redis.call('HGET', ix, key) }
        """);

    /// <summary>
    /// Stores a value (mode <c>set</c>) or stores it only when the key is missing (<c>nx</c>), with its TTL (ms, or
    /// empty) and index records, under a new version. Returns the new version, or 0 when <c>nx</c> found the key.
    /// </summary>
    public static readonly RedisScript Set = new(nameof(Set), keys: "data ord exp ix ver registry", args: "key ns payload ttl meta mode", """
        if mode == 'nx' and redis.call('EXISTS', data) == 1 then
          return 0
        end
        local version = redis.call('INCR', ver)
        if put(data, ord, exp, ix, registry, key, ns, payload, ttl, meta, version) then
          sweep(ord, exp, ix, 2)
        end
        return version
        """);

    /// <summary>
    /// Adds <c>by</c> to a 64-bit integer with <c>INCRBY</c> (keeping its TTL and metadata), or creates a missing key
    /// with <c>by</c>, the TTL and the metadata; either way under a new version. Returns { 'ok', new value as a string } (a string: Lua
    /// numbers are doubles), { 'not-numeric' } or { 'overflow' }; in the last two cases nothing changed.
    /// </summary>
    public static readonly RedisScript Increment = new(nameof(Increment), keys: "data ord exp ix ver registry", args: "key ns by ttl meta", """
        local current = redis.call('GET', data)
        if not current then
          if put(data, ord, exp, ix, registry, key, ns, by, ttl, meta, redis.call('INCR', ver)) then
            sweep(ord, exp, ix, 2)
          end
          return { 'ok', by }
        end
        if not is_integer(current) then
          return { 'not-numeric' }
        end
        -- INCRBY keeps the TTL. current and by are integers, so its only error left is an overflow: Redis says
        -- 'increment or decrement would overflow', Garnet 'value is not an integer or out of range'.
        local result = redis.pcall('INCRBY', data, by)
        if type(result) == 'table' and result.err then
          if string.find(result.err, 'overflow', 1, true) or string.find(result.err, 'out of range', 1, true) then
            return { 'overflow' }
          end
          return result
        end
        -- The reply is a Lua number (a double): exact below 2^53; beyond, the stored digits are read back.
        local value
        if result > -9007199254740992 and result < 9007199254740992 then
          value = int(result)
        else
          value = redis.call('GET', data)
        end
        local version = redis.call('INCR', ver)
        local rec = redis.call('HGET', ix, key)
        if not rec then
          -- Written behind Kv's back: index it now.
          redis.call('ZADD', ord, 0, key)
        end
        redis.call('HSET', ix, key, record(version, #value, meta_of(rec)))
        return { 'ok', value }
        """);

    /// <summary>Deletes a key and its index records. Returns 1 when a live key was deleted.</summary>
    public static readonly RedisScript Delete = new(nameof(Delete), keys: "data ord exp ix", args: "key", """
        local deleted = redis.call('DEL', data)
        forget(ord, exp, ix, key)
        return deleted
        """);

    /// <summary>
    /// Sets a live key's TTL (ms) from now (data expiry and index expiry the same instant); the version is unchanged.
    /// Returns 1, or 0 for a missing key.
    /// </summary>
    public static readonly RedisScript Expire = new(nameof(Expire), keys: "data ord exp ix registry", args: "key ns ttl", """
        if redis.call('EXISTS', data) == 0 then
          forget(ord, exp, ix, key)
          return 0
        end
        local at = int(now_ms() + tonumber(ttl))
        redis.call('PEXPIREAT', data, at)
        redis.call('ZADD', ord, 0, key)
        if redis.call('ZADD', exp, at, key) == 1 then
          redis.call('SADD', registry, ns)
          sweep(ord, exp, ix, 2)
        end
        return 1
        """);

    /// <summary>Makes a live key permanent. Returns 1 when the key existed and had a TTL.</summary>
    public static readonly RedisScript Persist = new(nameof(Persist), keys: "data ord exp ix", args: "key", """
        -- EXISTS first: Garnet 2.2.8 raises a Lua error for PERSIST on a key that has expired but is not yet removed.
        if redis.call('EXISTS', data) == 0 then
          forget(ord, exp, ix, key)
          return 0
        end
        local result = redis.call('PERSIST', data)
        if result == 1 then
          redis.call('ZREM', exp, key)
        end
        return result
        """);

    /// <summary>
    /// Stores many values of one namespace, all under one new version and one TTL. Tail: one data key per value in
    /// KEYS; key, payload, metadata (or empty) per value in ARGV. Returns the version.
    /// </summary>
    public static readonly RedisScript SetMany = new(nameof(SetMany), keys: "ord exp ix ver registry", args: "ns ttl", """
        local version = redis.call('INCR', ver)
        local grew = false
        for i = 1, #KEYS - key_rest do
          local a = arg_rest + (i - 1) * 3
          grew = put(KEYS[key_rest + i], ord, exp, ix, registry, ARGV[a + 1], ns, ARGV[a + 2], ttl, ARGV[a + 3], version) or grew
        end
        if grew then
          sweep(ord, exp, ix, 2)
        end
        return version
        """);

    /// <summary>
    /// Deletes many keys of one namespace. Tail: the data keys in KEYS, the keys in ARGV. Returns how many live keys
    /// were deleted.
    /// </summary>
    public static readonly RedisScript DeleteMany = new(nameof(DeleteMany), keys: "ord exp ix", args: string.Empty, """
        local deleted = 0
        for i = 1, #KEYS - key_rest do
          deleted = deleted + redis.call('DEL', KEYS[key_rest + i])
          forget(ord, exp, ix, ARGV[arg_rest + i])
        end
        return deleted
        """);

    /// <summary>
    /// Reads one chunk of a namespace's keys in lexicographic order, from its index only: ZRANGEBYLEX from
    /// <c>min</c> to <c>max</c>, at most <c>chunk</c>, in <c>mode</c> <c>info</c> or <c>name</c>. Returns { Redis time
    /// in ms, how many members the chunk scanned, the last one scanned (or empty), then for each live member: the key,
    /// and unless the mode is <c>name</c> its expiry in Redis ms (or empty) and its record (or empty) }.
    /// </summary>
    public static readonly RedisScript List = new(nameof(List), keys: "ord exp ix", args: "min max chunk mode prefix", """
        local now = now_ms()
        local members = redis.call('ZRANGEBYLEX', ord, min, max, 'LIMIT', 0, tonumber(chunk))
        local reply = { int(now), #members, members[#members] or '' }
        local details = mode ~= 'name'
        for _, member in ipairs(members) do
          local expiry = redis.call('ZSCORE', exp, member)
          if live(expiry, prefix, member) then
            reply[#reply + 1] = member
            if details then
              reply[#reply + 1] = expiry or ''
              reply[#reply + 1] = redis.call('HGET', ix, member) or ''
            end
          end
        end
        return reply
        """);

    /// <summary>
    /// Counts a namespace's live keys: all keys minus those whose expiry has passed, minus those due within the next
    /// second whose data key the engine has already expired (see the helper <c>live</c>).
    /// </summary>
    public static readonly RedisScript CountAll = new(nameof(CountAll), keys: "ord exp", args: "prefix", """
        local count = redis.call('ZCARD', ord) - redis.call('ZCOUNT', exp, '-inf', '(' .. int(now_ms()))
        for _, member in ipairs(redis.call('ZRANGEBYSCORE', exp, int(now_ms()), '(' .. int(now_ms() + 1000))) do
          if redis.call('EXISTS', prefix .. member) == 0 then
            count = count - 1
          end
        end
        return count
        """);

    /// <summary>
    /// Reads the index records of live keys. Tail: the keys in ARGV. Returns one record per key, empty for a missing or
    /// expired key.
    /// </summary>
    public static readonly RedisScript Records = new(nameof(Records), keys: "ix exp", args: "prefix", """
        local reply = {}
        for i = 1, #ARGV - arg_rest do
          local member = ARGV[arg_rest + i]
          local rec = redis.call('HGET', ix, member)
          if rec and live(redis.call('ZSCORE', exp, member), prefix, member) then
            reply[i] = rec
          else
            reply[i] = ''
          end
        end
        return reply
        """);

    /// <summary>
    /// Removes up to <c>batch</c> index records of a namespace whose expiry has passed, and drops the namespace from
    /// its root's registry once it holds no TTL entry. Returns how many records it removed.
    /// </summary>
    public static readonly RedisScript Collect = new(nameof(Collect), keys: "ord exp ix registry", args: "ns batch", """
        local removed = sweep(ord, exp, ix, tonumber(batch))
        if redis.call('ZCARD', exp) == 0 then
          redis.call('SREM', registry, ns)
        end
        return removed
        """);

    /// <summary>
    /// Commits a transaction; <see cref="RedisTransactionCall"/> builds the call. KEYS: the version counter of each
    /// involved root (<c>roots</c> of them), the registry of each root, ord/exp/ix of each involved namespace
    /// (<c>namespaces</c> of them), then the data keys. ARGV: <c>roots</c>, <c>namespaces</c>, <c>count</c> (of
    /// operations), then per namespace its path and its root's number (1-based), then per operation seven fields: kind
    /// (<c>check</c>, <c>set</c>, <c>delete</c>, <c>increment</c>), the data key's KEYS index, the namespace's number,
    /// the key, the argument (expected version or empty, payload, or amount), the TTL in ms or empty, the metadata or
    /// empty. Returns { 0 } when a check failed (nothing changed), { 'not-numeric' } or { 'overflow' } (nothing
    /// changed), or { 1, version } (0 when nothing was written).
    /// </summary>
    /// <remarks>
    /// Checks compare against the state before the transaction. Every increment is computed before anything is
    /// written. All writes get one version: every involved root's counter is incremented, the largest result is the
    /// version, and every counter is set to it, so each root's versions stay strictly increasing.
    /// </remarks>
    public static readonly RedisScript Commit = new(nameof(Commit), keys: string.Empty, args: "roots namespaces count", """
        roots, namespaces, count = tonumber(roots), tonumber(namespaces), tonumber(count)
        local first = arg_rest + 1 + 2 * namespaces

        local function index_keys(n)
          local base = 2 * roots + 3 * (n - 1)
          return KEYS[base + 1], KEYS[base + 2], KEYS[base + 3]
        end

        local function ns_path(n)
          return ARGV[arg_rest + 1 + 2 * (n - 1)]
        end

        local function registry_of(n)
          return KEYS[roots + tonumber(ARGV[arg_rest + 2 + 2 * (n - 1)])]
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

        local values, created, state, writes, grew = {}, {}, {}, 0, false
        for i = 0, count - 1 do
          local o = first + i * 7
          local kind, slot = ARGV[o], ARGV[o + 1]
          if kind ~= 'check' then
            writes = writes + 1
          end
          if kind == 'set' then
            state[slot] = ARGV[o + 4]
          elseif kind == 'delete' then
            state[slot] = false
          elseif kind == 'increment' then
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
              grew = put(data, ord, exp, ix, registry_of(n), member, ns_path(n), ARGV[o + 4], ARGV[o + 5], ARGV[o + 6], version) or grew
            elseif kind == 'delete' then
              redis.call('DEL', data)
              forget(ord, exp, ix, member)
            elseif created[i] then
              grew = put(data, ord, exp, ix, registry_of(n), member, ns_path(n), values[i], ARGV[o + 5], ARGV[o + 6], version) or grew
            else
              redis.call('SET', data, values[i], 'KEEPTTL')
              local rec = redis.call('HGET', ix, member)
              if not rec then
                redis.call('ZADD', ord, 0, member)
              end
              redis.call('HSET', ix, member, record(version, #values[i], meta_of(rec)))
            end
          end
        end

        if grew then
          for n = 1, namespaces do
            local ord, exp, ix = index_keys(n)
            sweep(ord, exp, ix, 2)
          end
        end
        return { 1, version }
        """);

    /// <summary>Runs the 64-bit integer grammar and addition of the scripts on one input (tests only).</summary>
    public static readonly RedisScript IntegerProbe = new(nameof(IntegerProbe), keys: string.Empty, args: "value by", """
        local sum, problem = add(value, by)
        return { is_integer(value) and 1 or 0, sum or problem }
        """);

    public static RedisScriptCall GetEntryCall(RedisKeyLayout ns, RedisKey data, RedisValue key) =>
        GetEntry.Bind([data, ns.Index], [key]);

    public static RedisScriptCall SetCall(RedisKeyLayout ns, RedisKey data, RedisValue key, RedisValue payload, RedisValue ttl, RedisValue meta, bool onlyIfMissing) =>
        Set.Bind([data, ns.Ordered, ns.Expiry, ns.Index, ns.Version, ns.Registry], [key, ns.NamespacePath, payload, ttl, meta, onlyIfMissing ? "nx" : "set"]);

    public static RedisScriptCall IncrementCall(RedisKeyLayout ns, RedisKey data, RedisValue key, RedisValue by, RedisValue ttl, RedisValue meta) =>
        Increment.Bind([data, ns.Ordered, ns.Expiry, ns.Index, ns.Version, ns.Registry], [key, ns.NamespacePath, by, ttl, meta]);

    public static RedisScriptCall DeleteCall(RedisKeyLayout ns, RedisKey data, RedisValue key) =>
        Delete.Bind([data, ns.Ordered, ns.Expiry, ns.Index], [key]);

    public static RedisScriptCall ExpireCall(RedisKeyLayout ns, RedisKey data, RedisValue key, RedisValue ttl) =>
        Expire.Bind([data, ns.Ordered, ns.Expiry, ns.Index, ns.Registry], [key, ns.NamespacePath, ttl]);

    public static RedisScriptCall PersistCall(RedisKeyLayout ns, RedisKey data, RedisValue key) =>
        Persist.Bind([data, ns.Ordered, ns.Expiry, ns.Index], [key]);

    /// <summary>A <see cref="SetMany"/> call: one data key, key, payload and metadata per item.</summary>
    public static RedisScriptCall SetManyCall(RedisKeyLayout ns, RedisValue ttl, ReadOnlySpan<(RedisKey Data, RedisValue Key, RedisValue Payload, RedisValue Meta)> items)
    {
        var keys = new RedisKey[5 + items.Length];
        keys[0] = ns.Ordered;
        keys[1] = ns.Expiry;
        keys[2] = ns.Index;
        keys[3] = ns.Version;
        keys[4] = ns.Registry;
        var args = new RedisValue[2 + (3 * items.Length)];
        args[0] = ns.NamespacePath;
        args[1] = ttl;
        for (int i = 0; i < items.Length; i++)
        {
            keys[5 + i] = items[i].Data;
            args[2 + (3 * i)] = items[i].Key;
            args[3 + (3 * i)] = items[i].Payload;
            args[4 + (3 * i)] = items[i].Meta;
        }

        return SetMany.Bind(keys, args);
    }

    /// <summary>A <see cref="DeleteMany"/> call: one data key and key per item.</summary>
    public static RedisScriptCall DeleteManyCall(RedisKeyLayout ns, ReadOnlySpan<(RedisKey Data, RedisValue Key)> items)
    {
        var keys = new RedisKey[3 + items.Length];
        keys[0] = ns.Ordered;
        keys[1] = ns.Expiry;
        keys[2] = ns.Index;
        var args = new RedisValue[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            keys[3 + i] = items[i].Data;
            args[i] = items[i].Key;
        }

        return DeleteMany.Bind(keys, args);
    }

    public static RedisScriptCall ListCall(RedisKeyLayout ns, RedisValue min, RedisValue max, int chunk, bool namesOnly) =>
        List.Bind([ns.Ordered, ns.Expiry, ns.Index], [min, max, chunk, namesOnly ? "name" : "info", ns.KeyPrefix]);

    public static RedisScriptCall CountAllCall(RedisKeyLayout ns) => CountAll.Bind([ns.Ordered, ns.Expiry], [ns.KeyPrefix]);

    /// <summary>A <see cref="Records"/> call for some keys of a namespace.</summary>
    public static RedisScriptCall RecordsCall(RedisKeyLayout ns, string[] keys)
    {
        var args = new RedisValue[1 + keys.Length];
        args[0] = ns.KeyPrefix;
        for (int i = 0; i < keys.Length; i++)
        {
            args[1 + i] = keys[i];
        }

        return Records.Bind([ns.Index, ns.Expiry], args);
    }

    public static RedisScriptCall CollectCall(RedisKeyLayout ns, int batch) =>
        Collect.Bind([ns.Ordered, ns.Expiry, ns.Index, ns.Registry], [ns.NamespacePath, batch]);

    public static RedisScriptCall IntegerProbeCall(RedisValue value, RedisValue by) => IntegerProbe.Bind([], [value, by]);

    /// <summary>The empty argument: no TTL, no metadata.</summary>
    public static RedisValue None => Empty;
}
