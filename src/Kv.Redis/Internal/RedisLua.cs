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
        ("int", """
            local function int(n)
              return string.format('%.0f', n)
            end
            """),
        ("unpack_value", """
            -- A stored value (RedisValueFormat): the payload alone, or 0xFE, the version (digits, or none), ':', the
            -- metadata's length, ':', the metadata, then the payload. Returns version ('' for none), metadata ('' for
            -- none) and payload. A value that starts with 0xFE but has no such header is a payload of its own.
            local function unpack_value(value)
              if string.byte(value, 1) ~= 254 then
                return '', '', value
              end
              local version, length, at = string.match(value, '^\254(%d*):(%d+):()')
              if not at then
                return '', '', value
              end
              length = tonumber(length)
              return version, string.sub(value, at, at + length - 1), string.sub(value, at + length)
            end
            """),
        ("pack_value", """
            -- The inverse of unpack_value: a value without version and metadata is stored as its payload alone.
            local function pack_value(version, meta, payload)
              if version == '' and meta == '' then
                return payload
              end
              return '\254' .. version .. ':' .. #meta .. ':' .. meta .. payload
            end
            """),
        ("header_of", """
            -- The header of a stored value, read with GETRANGE (never the whole value): version, metadata length, and the
            -- 1-based position where the metadata starts; nil when the value has no header. The numbers fit in the
            -- first 34 bytes (marker, 20 digits, ':', 10 digits, ':'). A key of another type (written behind Kv's
            -- back) has none.
            local function header_of(data)
              local head = redis.pcall('GETRANGE', data, 0, 40)
              if type(head) ~= 'string' or string.byte(head, 1) ~= 254 then
                return nil
              end
              local version, length, at = string.match(head, '^\254(%d*):(%d+):()')
              if not at then
                return nil
              end
              return version, tonumber(length), at
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
