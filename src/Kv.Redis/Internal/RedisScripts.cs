using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// The Lua scripts of the Redis backend, each with its typed factory: callers pass named parameters and never count
/// KEYS or ARGV positions (see <see cref="RedisScript"/>; the shared helpers are in <see cref="RedisLua"/>). Each script
/// touches only the keys passed in KEYS (all in the hash slot of one root namespace, see <see cref="RedisKeyLayout"/>),
/// so it runs on Redis Cluster. Each is sent as one <c>EVAL</c> (see <see cref="RedisKvStore.EvaluateAsync"/>).
/// </summary>
/// <remarks>
/// <para>Plain writes, reads and deletes are single commands and need no script. Scripts remain where one command
/// cannot do the work: a read with details (which assigns the entry its version the first time), an increment with a
/// TTL or metadata (or of a value with a header), a batch of writes with a TTL, listing details and sizes, transactions
/// and the one-time layout migration. Values are stored as <see cref="RedisValueFormat"/> describes (the helpers
/// <c>unpack_value</c> and <c>pack_value</c>). The commands each script runs are listed in docs/redis.md ("What each
/// operation costs").</para>
/// <para><b>Versions</b> are assigned when something needs one: a plain write stores no version (so it costs one
/// <c>SET</c>), and a read with details gives an entry without one the next value of its root's counter
/// (<c>INCR {root}::__kv:ver</c>) and stores it in the header. Every write replaces the header, so a version names one
/// write: a later write has none until it is read, and by then the counter has moved on. Transactions write their
/// version into every entry they write.</para>
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
    /// Reads a value with its remaining TTL, giving it a version first when it has none. Returns nil for a missing key,
    /// else { stored value (with its header), PTTL in milliseconds (-1 when permanent) }.
    /// </summary>
    public static readonly RedisScript GetEntry = new(nameof(GetEntry), keys: "data ver", args: string.Empty, """
        local value = redis.call('GET', data)
        if not value then
          return false
        end
        local ttl = redis.call('PTTL', data)
        local version, meta, payload = unpack_value(value)
        if version == '' then
          value = pack_value(int(redis.call('INCR', ver)), meta, payload)
          redis.call('SET', data, value, 'KEEPTTL')
        end
        return { value, ttl }
        """);

    /// <summary>Status of an increment the fast script could not do (a value with a header, or not an integer).</summary>
    public const string Refused = "refused";

    /// <summary>
    /// The common increment with a TTL-on-create or metadata, kept small (its text travels with every call): creates a
    /// missing key with <c>by</c>, the TTL (ms, or empty) and the metadata (or empty), or adds <c>by</c> with
    /// <c>INCRBY</c>, which keeps the TTL. Returns { 'ok', new value as a string }, or { 'refused' } when
    /// <c>INCRBY</c> refused the value (nothing changed): <see cref="Increment"/> then does the work or says why.
    /// </summary>
    public static readonly RedisScript IncrementOrCreate = new(nameof(IncrementOrCreate), keys: "data", args: "by ttl meta", """
        local created
        if ttl == '' then
          created = redis.call('SET', data, pack_value('', meta, by), 'NX')
        else
          created = redis.call('SET', data, pack_value('', meta, by), 'NX', 'PX', ttl)
        end
        if created then
          return { 'ok', by }
        end
        local result = redis.pcall('INCRBY', data, by)
        if type(result) ~= 'number' then
          return { 'refused' }
        end
        if result >= 9007199254740992 or result <= -9007199254740992 then
          return { 'ok', redis.call('GET', data) }
        end
        return { 'ok', int(result) }
        """);

    /// <summary>
    /// The increment after <c>INCRBY</c> or <see cref="IncrementOrCreate"/> refused the value: adds <c>by</c> to a value
    /// with a header (keeping its TTL and metadata), or tells why it cannot. A key deleted in between is created with
    /// <c>by</c>, the TTL (ms, or empty) and the metadata (or empty). Returns { 'ok', new value as a string } (a string: Lua
    /// numbers are doubles), { 'not-numeric' } or { 'overflow' }; in the last two cases nothing changed.
    /// </summary>
    public static readonly RedisScript Increment = new(nameof(Increment), keys: "data", args: "by ttl meta", """
        local stored = redis.call('GET', data)
        if not stored then
          if ttl == '' then
            redis.call('SET', data, pack_value('', meta, by))
          else
            redis.call('SET', data, pack_value('', meta, by), 'PX', ttl)
          end
          return { 'ok', by }
        end
        local _, stored_meta, payload = unpack_value(stored)
        local sum, problem = add(payload, by)
        if not sum then
          return { problem }
        end
        redis.call('SET', data, pack_value('', stored_meta, sum), 'KEEPTTL')
        return { 'ok', sum }
        """);

    /// <summary>Gives a live key a TTL (ms). Returns 1 when the key existed.</summary>
    /// <remarks>A script, not a bare <c>PEXPIRE</c>: on Garnet 2.2.8, <c>PEXPIRE</c> and <c>PERSIST</c> of a key that has
    /// expired but is not yet removed answer with a malformed reply that desynchronizes the connection; <c>EXISTS</c>
    /// first removes such a key.</remarks>
    public static readonly RedisScript Expire = new(nameof(Expire), keys: "data", args: "ttl", """
        if redis.call('EXISTS', data) == 0 then
          return 0
        end
        return redis.call('PEXPIRE', data, ttl)
        """);

    /// <summary>Makes a live key permanent. Returns 1 when the key existed and had a TTL. A script for the reason
    /// <see cref="Expire"/> gives.</summary>
    public static readonly RedisScript Persist = new(nameof(Persist), keys: "data", args: string.Empty, """
        if redis.call('EXISTS', data) == 0 then
          return 0
        end
        return redis.call('PERSIST', data)
        """);

    /// <summary>
    /// Stores many values with one TTL (ms). Tail: the data keys in KEYS, their stored values in ARGV. (Without a TTL a
    /// batch is one <c>MSET</c>.)
    /// </summary>
    public static readonly RedisScript SetManyWithTtl = new(nameof(SetManyWithTtl), keys: string.Empty, args: "ttl", """
        for i = 1, #KEYS - key_rest do
          redis.call('SET', KEYS[key_rest + i], ARGV[arg_rest + i], 'PX', ttl)
        end
        return #KEYS - key_rest
        """);

    /// <summary>
    /// Describes keys for a listing. Tail: the data keys in KEYS. Returns per key its PTTL (-2 when missing or expired,
    /// -1 when permanent) and, in mode <c>info</c>, its metadata (or empty); in mode <c>name</c> the PTTL only. Reads at
    /// most the header of each value (<c>GETRANGE</c>), never the whole value.
    /// </summary>
    public static readonly RedisScript Describe = new(nameof(Describe), keys: string.Empty, args: "mode", """
        local reply = {}
        for i = 1, #KEYS - key_rest do
          local data = KEYS[key_rest + i]
          local ttl = redis.call('PTTL', data)
          reply[#reply + 1] = ttl
          if mode == 'info' then
            local meta = ''
            if ttl ~= -2 then
              local _, length, at = header_of(data)
              if length and length > 0 then
                meta = redis.call('GETRANGE', data, at - 1, at + length - 2)
              end
            end
            reply[#reply + 1] = meta
          end
        end
        return reply
        """);

    /// <summary>
    /// Measures keys. Tail: the data keys in KEYS. Returns per key the payload's length and the metadata's length, or
    /// -1 and 0 for a missing key (or one of another type, written behind Kv's back). Reads only the header of each
    /// value.
    /// </summary>
    public static readonly RedisScript Sizes = new(nameof(Sizes), keys: string.Empty, args: string.Empty, """
        local reply = {}
        for i = 1, #KEYS - key_rest do
          local data = KEYS[key_rest + i]
          local total = redis.pcall('STRLEN', data)
          if type(total) ~= 'number' or (total == 0 and redis.call('EXISTS', data) == 0) then
            reply[#reply + 1] = -1
            reply[#reply + 1] = 0
          else
            local _, length, at = header_of(data)
            if length then
              reply[#reply + 1] = total - (at - 1) - length
              reply[#reply + 1] = length
            else
              reply[#reply + 1] = total
              reply[#reply + 1] = 0
            end
          end
        end
        return reply
        """);

    /// <summary>
    /// Commits a transaction; <see cref="RedisTransactionCall"/> builds the call. KEYS: the version counter of each
    /// involved root (<c>roots</c> of them), then the data keys. ARGV: <c>roots</c>, <c>count</c> (of operations), then
    /// per operation five fields: kind (<c>check</c>, <c>set</c>, <c>delete</c>, <c>increment</c>), the data key's KEYS
    /// index, the argument (expected version or empty, payload, or amount), the TTL in ms or empty, the metadata or
    /// empty. Returns { 0 } when a check failed (nothing changed), { 'not-numeric' } or { 'overflow' } (nothing
    /// changed), or { 1, version } (0 when nothing was written).
    /// </summary>
    /// <remarks>
    /// Checks compare against the state before the transaction: an entry holds the expected version only when its
    /// header carries it (an entry written since holds none, or a later one). Every increment is computed before
    /// anything is written. All writes get one version: every involved root's counter is incremented, the largest
    /// result is the version, and every counter is set to it, so each root's versions stay strictly increasing.
    /// </remarks>
    public static readonly RedisScript Commit = new(nameof(Commit), keys: string.Empty, args: "roots count", """
        roots, count = tonumber(roots), tonumber(count)
        local first = arg_rest + 1
        local stride = 5

        for i = 0, count - 1 do
          local o = first + i * stride
          if ARGV[o] == 'check' then
            local value = redis.call('GET', KEYS[tonumber(ARGV[o + 1])])
            local expected = ARGV[o + 2]
            if expected == '' then
              if value then
                return { 0 }
              end
            elseif not value or unpack_value(value) ~= expected then
              return { 0 }
            end
          end
        end

        local values, created, state, metas, writes = {}, {}, {}, {}, 0
        for i = 0, count - 1 do
          local o = first + i * stride
          local kind, slot = ARGV[o], ARGV[o + 1]
          if kind ~= 'check' then
            writes = writes + 1
          end
          if kind == 'set' then
            state[slot] = { ARGV[o + 2], ARGV[o + 4] }
          elseif kind == 'delete' then
            state[slot] = false
          elseif kind == 'increment' then
            local current = state[slot]
            if current == nil then
              local stored = redis.call('GET', KEYS[tonumber(slot)])
              if stored then
                local _, meta, payload = unpack_value(stored)
                current = { payload, meta }
              else
                current = false
              end
            end
            if not current then
              created[i] = true
              values[i] = ARGV[o + 2]
              metas[i] = ARGV[o + 4]
            else
              local sum, problem = add(current[1], ARGV[o + 2])
              if not sum then
                return { problem }
              end
              values[i] = sum
              metas[i] = current[2]
            end
            state[slot] = { values[i], metas[i] }
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
        local v = int(version)

        for i = 0, count - 1 do
          local o = first + i * stride
          local kind = ARGV[o]
          local data = KEYS[tonumber(ARGV[o + 1])]
          local ttl = ARGV[o + 3]
          if kind == 'set' or created[i] then
            local payload, meta = ARGV[o + 2], ARGV[o + 4]
            if created[i] then
              payload, meta = values[i], metas[i]
            end
            if ttl == '' then
              redis.call('SET', data, pack_value(v, meta, payload))
            else
              redis.call('SET', data, pack_value(v, meta, payload), 'PX', ttl)
            end
          elseif kind == 'delete' then
            redis.call('DEL', data)
          elseif kind == 'increment' then
            redis.call('SET', data, pack_value(v, metas[i], values[i]), 'KEEPTTL')
          end
        end
        return { 1, version }
        """);

    /// <summary>
    /// The one-time migration of one namespace from the index layout of earlier versions (see
    /// <see cref="RedisLayoutMigration"/>): moves each entry's version and metadata from its index record into the header
    /// of its value, keeping the TTL. Tail: the data keys in KEYS, their records (<c>version:payloadLength:metadata</c>)
    /// in ARGV. A value that is gone, has a header already, or is not as long as its record says (written again since,
    /// so the record is stale) is left alone. Returns how many values it rewrote.
    /// </summary>
    public static readonly RedisScript Migrate = new(nameof(Migrate), keys: string.Empty, args: string.Empty, """
        local migrated = 0
        for i = 1, #KEYS - key_rest do
          local data = KEYS[key_rest + i]
          local value = redis.pcall('GET', data)
          if type(value) == 'string' and string.byte(value, 1) ~= 254 then
            local version, length, meta = string.match(ARGV[arg_rest + i], '^(%d+):(%d+):(.*)$')
            if version and tonumber(length) == #value then
              redis.call('SET', data, pack_value(version, meta, value), 'KEEPTTL')
              migrated = migrated + 1
            end
          end
        end
        return migrated
        """);

    /// <summary>Runs the 64-bit integer grammar and addition of the scripts on one input (tests only).</summary>
    public static readonly RedisScript IntegerProbe = new(nameof(IntegerProbe), keys: string.Empty, args: "value by", """
        local sum, problem = add(value, by)
        return { is_integer(value) and 1 or 0, sum or problem }
        """);

    public static RedisScriptCall GetEntryCall(RedisKeyLayout ns, RedisKey data) => GetEntry.Bind([data, ns.Version], []);

    public static RedisScriptCall ExpireCall(RedisKey data, long ttlMilliseconds) => Expire.Bind([data], [ttlMilliseconds]);

    public static RedisScriptCall PersistCall(RedisKey data) => Persist.Bind([data], []);

    public static RedisScriptCall IncrementCall(RedisKey data, RedisValue by, RedisValue ttl, RedisValue meta) => Increment.Bind([data], [by, ttl, meta]);

    public static RedisScriptCall IncrementOrCreateCall(RedisKey data, RedisValue by, RedisValue ttl, RedisValue meta) => IncrementOrCreate.Bind([data], [by, ttl, meta]);

    /// <summary>A <see cref="SetManyWithTtl"/> call: one data key and stored value per item.</summary>
    public static RedisScriptCall SetManyWithTtlCall(long ttlMilliseconds, RedisKey[] keys, RedisValue[] values)
    {
        var args = new RedisValue[1 + values.Length];
        args[0] = ttlMilliseconds;
        values.CopyTo(args, 1);
        return SetManyWithTtl.Bind(keys, args);
    }

    public static RedisScriptCall DescribeCall(RedisKey[] keys, bool namesOnly) => Describe.Bind(keys, [namesOnly ? "name" : "info"]);

    public static RedisScriptCall SizesCall(RedisKey[] keys) => Sizes.Bind(keys, []);

    public static RedisScriptCall MigrateCall(RedisKey[] keys, RedisValue[] records) => Migrate.Bind(keys, records);

    public static RedisScriptCall IntegerProbeCall(RedisValue value, RedisValue by) => IntegerProbe.Bind([], [value, by]);

    /// <summary>The empty argument: no TTL, no metadata.</summary>
    public static RedisValue None => Empty;
}
