using System.Text;

namespace Kv.Internal;

/// <summary>
/// The Lua helpers the scripts share, each written once, here. <see cref="RedisScript"/> puts in front of a script's body
/// the helpers it calls (and the helpers those call), in the order below.
/// </summary>
/// <remarks>
/// <para>Lua numbers are doubles: 64-bit values travel as strings, numbers given to commands are formatted with
/// <c>%.0f</c> (never in exponent form), and 64-bit integer arithmetic is exact decimal arithmetic in two base-10⁹
/// halves (<c>add</c>).</para>
/// <para>The 64-bit integer grammar (<c>is_integer</c>) is the one of <see cref="KvValueSerializer.TryParseInteger"/>:
/// <c>0</c>, or an optional minus and digits without a leading zero, within the 64-bit range. A test runs both on the
/// same inputs (RedisLuaIntegerGrammarTests).</para>
/// </remarks>
internal static class RedisLua
{
    private static readonly (string Name, string Code)[] Helpers =
    [
        ("now_ms", """
            -- Redis's clock in ms, read once per script (TIME is a command: only scripts that need the time pay it).
            local clock_ms
            local function now_ms()
              if not clock_ms then
                local t = redis.call('TIME')
                clock_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
              end
              return clock_ms
            end
            """),
        ("int", """
            local function int(n)
              return string.format('%.0f', n)
            end
            """),
        ("record", """
            -- An index record: version:payloadLength:metadata (IndexRecord).
            local function record(version, length, meta)
              return int(version) .. ':' .. int(length) .. ':' .. meta
            end
            """),
        ("meta_of", """
            local function meta_of(rec)
              if not rec then
                return ''
              end
              local a = string.find(rec, ':', 1, true)
              local b = string.find(rec, ':', a + 1, true)
              return string.sub(rec, b + 1)
            end
            """),
        ("version_of", """
            local function version_of(rec)
              return string.sub(rec, 1, string.find(rec, ':', 1, true) - 1)
            end
            """),
        ("live", """
            -- Whether an index member with expiry instant 'expiry' (or none) is live at now_ms(). The index says so, and
            -- within the last second before its instant the data key is asked too: Garnet 2.2.8 can expire a key a few
            -- ms before its TIME reaches the instant, and a key the engine expired must never be listed or counted.
            -- 'prefix' .. member is the data key (same hash slot as the index).
            local function live(expiry, prefix, member)
              if not expiry then
                return true
              end
              local at = tonumber(expiry)
              if at < now_ms() then
                return false
              end
              return at - now_ms() >= 1000 or redis.call('EXISTS', prefix .. member) == 1
            end
            """),
        ("forget", """
            -- Removes a member from a namespace's index. exp and ix only ever hold members of ord, so a member that was
            -- not in ord is nowhere.
            local function forget(ord, exp, ix, member)
              if redis.call('ZREM', ord, member) == 1 then
                redis.call('ZREM', exp, member)
                redis.call('HDEL', ix, member)
              end
            end
            """),
        ("sweep", """
            -- Removes up to 'count' due records. A write that adds a member to exp calls it with 2, so expired records
            -- never outgrow the TTL entries written, even when CollectExpired never runs; overwrites add nothing.
            local function sweep(ord, exp, ix, count)
              local due = redis.call('ZRANGEBYSCORE', exp, '-inf', '(' .. int(now_ms()), 'LIMIT', 0, count)
              for _, member in ipairs(due) do
                forget(ord, exp, ix, member)
              end
              return #due
            end
            """),
        ("put", """
            -- Writes a value and its index records; a permanent write reads no clock. Two invariants save commands on
            -- an overwrite: every member of exp and every field of ix is a member of ord (so a field HSET updates rather
            -- than adds is in ord already), and a namespace whose exp is not empty is in its root's registry (so a member
            -- ZADD updates rather than adds needs no SADD; CollectExpired leaves the registry only once exp is empty).
            -- Returns whether exp gained a member: the caller then sweeps (see 'sweep').
            local function put(data, ord, exp, ix, registry, member, ns, payload, ttl, meta, version)
              redis.call('SET', data, payload)
              local grew = false
              if ttl == '' then
                redis.call('ZREM', exp, member)
              else
                -- SET then PEXPIREAT rather than SET ... PXAT, which Garnet rejects: same instant, same atomicity.
                local at = int(now_ms() + tonumber(ttl))
                redis.call('PEXPIREAT', data, at)
                if redis.call('ZADD', exp, at, member) == 1 then
                  redis.call('SADD', registry, ns)
                  grew = true
                end
              end
              if redis.call('HSET', ix, member, record(version, #payload, meta)) == 1 then
                redis.call('ZADD', ord, 0, member)
              end
              return grew
            end
            """),
        ("exceeds", """
            -- Whether a digit string without sign or leading zero is above a limit of the same kind.
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
            """),
        ("is_integer", """
            -- The 64-bit integer grammar of KvValueSerializer.TryParseInteger.
            local function is_integer(s)
              if s ~= '0' and not string.find(s, '^%-?[1-9][0-9]*$') then
                return false
              end
              if string.byte(s, 1) == 45 then
                return not exceeds(string.sub(s, 2), '9223372036854775808')
              end
              return not exceeds(s, '9223372036854775807')
            end
            """),
        ("add", """
            -- current + by, exactly, for 64-bit integers in decimal: the sum as a string, or nil and 'not-numeric' (current
            -- is not an integer) or 'overflow'. by is a valid integer (the client formats it).
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
            """),
    ];

    /// <summary>The helpers a body calls, with the helpers they call, in dependency order.</summary>
    public static string HelpersFor(string body)
    {
        var needed = new bool[Helpers.Length];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < Helpers.Length; i++)
            {
                if (!needed[i] && (Calls(body, Helpers[i].Name) || Enumerable.Range(0, Helpers.Length).Any(j => needed[j] && j != i && Calls(Helpers[j].Code, Helpers[i].Name))))
                {
                    needed[i] = true;
                    changed = true;
                }
            }
        }

        var text = new StringBuilder();
        for (int i = 0; i < Helpers.Length; i++)
        {
            if (needed[i])
            {
                text.Append(Helpers[i].Code).Append('\n');
            }
        }

        return text.ToString();
    }

    private static bool Calls(string code, string name)
    {
        for (int at = code.IndexOf(name + "(", StringComparison.Ordinal); at >= 0; at = code.IndexOf(name + "(", at + 1, StringComparison.Ordinal))
        {
            // A call of name itself, not of a longer name ending in it (e.g. 'int(' inside 'print(').
            if (at == 0 || !(char.IsLetterOrDigit(code[at - 1]) || code[at - 1] == '_'))
            {
                return true;
            }
        }

        return false;
    }
}
