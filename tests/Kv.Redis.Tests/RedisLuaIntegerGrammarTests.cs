using System.Globalization;
using System.Numerics;
using System.Text;
using Kv.Internal;
using Kv.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Kv.Redis.Tests;

/// <summary>
/// The scripts' one 64-bit integer grammar and addition (RedisLua <c>is_integer</c> and <c>add</c>) against the C#
/// ones: <see cref="KvValueSerializer.TryParseInteger"/> and checked 64-bit addition, on the same inputs, run by the
/// real Lua of each engine. Edge cases plus seeded random strings and sums.
/// </summary>
public abstract class RedisLuaIntegerGrammarTests<TFixture>(TFixture redis) : IClassFixture<TFixture>
    where TFixture : RedisServerFixture
{
    private static readonly string[] EdgeCases =
    [
        "0", "-0", "00", "01", "-01", "1", "-1", "+1", " 1", "1 ", "", "-", "1.0", "1e3", "0x10", "١",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "92233720368547758070", "18446744073709551616", "999999999", "1000000000", "-999999999", "-1000000000",
        "999999999999999999", "4611686018427387904", "9007199254740993", "-9007199254740993",
    ];

    [Fact]
    public async Task Lua_accepts_exactly_the_integers_TryParseInteger_accepts_and_adds_exactly()
    {
        await using ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        IDatabase db = multiplexer.GetDatabase();
        var random = new Random(13);
        var inputs = new List<(string Value, long By)>();
        foreach (string value in EdgeCases)
        {
            inputs.Add((value, 1));
            inputs.Add((value, -1));
            inputs.Add((value, long.MaxValue));
            inputs.Add((value, long.MinValue));
        }

        for (int i = 0; i < 400; i++)
        {
            long a = RandomLong(random);
            inputs.Add((a.ToString(CultureInfo.InvariantCulture), RandomLong(random)));
            inputs.Add((RandomText(random), RandomLong(random)));
        }

        foreach ((string value, long by) in inputs)
        {
            RedisScriptCall call = RedisScripts.IntegerProbeCall(Encoding.UTF8.GetBytes(value), by.ToString(CultureInfo.InvariantCulture));
            var reply = (RedisResult[])(await RedisKvStore.EvaluateAsync(db, call, CommandFlags.None))!;

            bool parsed = KvValueSerializer.TryParseInteger(Encoding.UTF8.GetBytes(value), out long current);
            Assert.True(parsed == ((long)reply[0] == 1), $"'{value}': C# {parsed}, Lua {(long)reply[0] == 1}");
            string expected = !parsed ? "not-numeric"
                : new BigInteger(current) + by is var sum && (sum > long.MaxValue || sum < long.MinValue) ? "overflow"
                : sum.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(expected, (string?)reply[1]);
        }
    }

    private static long RandomLong(Random random) => random.Next(4) switch
    {
        0 => random.NextInt64(-1000, 1000),
        1 => random.NextInt64(long.MinValue, long.MaxValue),
        2 => long.MaxValue - random.NextInt64(0, 1000),
        _ => long.MinValue + random.NextInt64(0, 1000),
    };

    private static string RandomText(Random random)
    {
        const string alphabet = "0123456789-+ .e";
        var text = new StringBuilder();
        int length = random.Next(0, 22);
        for (int i = 0; i < length; i++)
        {
            text.Append(alphabet[random.Next(random.Next(2) == 0 ? 10 : alphabet.Length)]);
        }

        return text.ToString();
    }
}

/// <summary>The grammar test on redis-server.</summary>
public sealed class RedisLuaIntegerGrammarTests(RedisServerFixture redis) : RedisLuaIntegerGrammarTests<RedisServerFixture>(redis);

/// <summary>The grammar test on Garnet's Lua.</summary>
public sealed class GarnetLuaIntegerGrammarTests(GarnetServerFixture garnet) : RedisLuaIntegerGrammarTests<GarnetServerFixture>(garnet);
