using System.Text;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>
/// One Lua script of the Redis backend, with named parameters: it declares the names of its KEYS and ARGV, and its
/// text starts with <c>local name = KEYS[i]</c> / <c>ARGV[i]</c> for each, so the body uses names only. A script with
/// a variable tail (batches, transactions) reads it from <c>KEYS[key_rest + i]</c> / <c>ARGV[arg_rest + i]</c>. The
/// shared helpers (<see cref="RedisLua"/>) are put in front of the body when it uses them, and only then.
/// </summary>
/// <remarks>
/// Callers never build KEYS and ARGV by hand: each script has a typed factory in <see cref="RedisScripts"/> whose
/// parameters are named after the declared names, and <see cref="Bind"/> checks the counts. The text is compacted
/// (indentation and comment lines dropped) because it travels with every <c>EVAL</c> and Redis hashes it each time.
/// </remarks>
internal sealed class RedisScript
{
    public RedisScript(string name, string keys, string args, string body)
    {
        Name = name;
        KeyNames = keys.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        ArgNames = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var text = new StringBuilder();
        Declare(text, KeyNames, "KEYS", "key_rest");
        Declare(text, ArgNames, "ARGV", "arg_rest");
        text.Append(RedisLua.HelpersFor(body)).Append(body);
        Text = Compact(text.ToString());
    }

    /// <summary>The operation name, for errors and logs.</summary>
    public string Name { get; }

    /// <summary>The names of the fixed KEYS, in order.</summary>
    public IReadOnlyList<string> KeyNames { get; }

    /// <summary>The names of the fixed ARGV, in order.</summary>
    public IReadOnlyList<string> ArgNames { get; }

    /// <summary>The script as sent: declarations, the helpers it uses, its body.</summary>
    public string Text { get; }

    /// <summary>A call of this script; the fixed keys and arguments first, in declared order, then any tail.</summary>
    public RedisScriptCall Bind(RedisKey[] keys, RedisValue[] args)
    {
        if (keys.Length < KeyNames.Count || args.Length < ArgNames.Count)
        {
            throw new InvalidOperationException($"The script {Name} takes at least {KeyNames.Count} keys and {ArgNames.Count} arguments.");
        }

        return new RedisScriptCall(this, keys, args);
    }

    private static void Declare(StringBuilder text, IReadOnlyList<string> names, string table, string rest)
    {
        if (names.Count > 0)
        {
            text.Append("local ").AppendJoin(", ", names).Append(" = ");
            for (int i = 0; i < names.Count; i++)
            {
                text.Append(i == 0 ? string.Empty : ", ").Append(table).Append('[').Append(i + 1).Append(']');
            }

            text.Append('\n');
        }

        text.Append("local ").Append(rest).Append(" = ").Append(names.Count).Append('\n');
    }

    private static string Compact(string lua)
    {
        var text = new StringBuilder(lua.Length);
        foreach (string line in lua.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.Length > 0 && !trimmed.StartsWith("--", StringComparison.Ordinal))
            {
                text.Append(trimmed).Append('\n');
            }
        }

        return text.ToString();
    }
}

/// <summary>A script with its KEYS and ARGV, ready to send.</summary>
internal readonly record struct RedisScriptCall(RedisScript Script, RedisKey[] Keys, RedisValue[] Args);
