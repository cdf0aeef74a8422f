using System.Globalization;
using System.Text;
using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// The conformance suite's view of a Redis deployment. Each backend (one per test) has an instance name of its own,
/// so tests sharing a server never see each other's keys, and a clock of its own.
/// </summary>
/// <remarks>
/// Redis counts TTLs on its own clock, which the test cannot stop. <see cref="AdvanceTimeAsync"/> emulates time
/// passing by moving every expiry of this backend earlier by the same amount: each namespace's index expiries
/// (<c>__kv:exp</c> scores) together with their data keys' expiry, in one script per namespace (deleting the data
/// keys it takes to now or before, and leaving their index records expired for the collection, as Redis would), then
/// the remaining TTL of any other key with a TTL. It
/// advances <see cref="TimeProvider"/> (a <see cref="FakeTimeProvider"/>) by as much, so expiry instants stay
/// consistent. Kv.Redis only ever relates the application's clock to the server's by differences (TTLs sent, TTLs read
/// back), so the fake's own start is irrelevant; the server's real time keeps running meanwhile, hence
/// <see cref="ExpiryPrecision"/>.
/// </remarks>
public sealed class RedisTestBackend : IKvTestBackend
{
    // Lowers one key's remaining TTL by ARGV[1] ms; a key that reaches zero is deleted; permanent keys stay.
    private const string AdvanceScript = """
        local remaining = redis.call('PTTL', KEYS[1])
        if remaining < 0 then
          return 0
        end
        local left = remaining - tonumber(ARGV[1])
        if left <= 0 then
          redis.call('DEL', KEYS[1])
        else
          redis.call('PEXPIRE', KEYS[1], left)
        end
        return 1
        """;

    // Moves one namespace's expiries ARGV[1] ms earlier: index scores and their data keys' expiry instants together
    // (the same instant, as the write scripts set them). KEYS[1]: the namespace's exp index; ARGV[2]: the namespace's
    // key prefix. The data keys and the other index keys share the exp key's hash slot. Returns the data keys handled.
    private const string AdvanceIndexScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local prefix = ARGV[2]
        local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
        local handled = {}
        for i = 1, #entries, 2 do
          local member = entries[i]
          local at = tonumber(entries[i + 1]) - tonumber(ARGV[1])
          local data = prefix .. member
          handled[#handled + 1] = data
          if at <= now then
            -- As Redis would have: the data key is gone, its index records stay (expired, for the collection to
            -- remove) with an expiry strictly before now.
            redis.call('DEL', data)
            redis.call('ZADD', KEYS[1], string.format('%.0f', math.min(at, now - 1)), member)
          else
            local formatted = string.format('%.0f', at)
            if redis.call('PTTL', data) >= 0 then
              redis.call('PEXPIREAT', data, formatted)
            end
            redis.call('ZADD', KEYS[1], formatted, member)
          end
        end
        return handled
        """;

    private const string IndexMarker = "::__kv:";

    private readonly RedisTarget _target;
    private readonly FakeTimeProvider _clock = new();
    private readonly List<RedisKv> _adaptors = [];

    public RedisTestBackend(RedisTarget target)
    {
        _target = target;
        InstanceName = "kvtest-" + Guid.NewGuid().ToString("N")[..16] + ":";
    }

    /// <summary>The prefix of every key this backend's adaptors write.</summary>
    public string InstanceName { get; }

    public TimeProvider TimeProvider => _clock;

    /// <summary>
    /// The real time that may pass between a write and the advance that should leave it just alive: a key written with
    /// TTL t is still there after advancing t − precision as long as the test took less than this in real time.
    /// </summary>
    public TimeSpan ExpiryPrecision => TimeSpan.FromSeconds(30);

    public AtomicKvAdaptor CreateAdaptor() => CreateAdaptor(KvValueSerializer.Default);

    public AtomicKvAdaptor CreateAdaptor(KvValueSerializer serializer)
    {
        var adaptor = new RedisKv(
            new RedisKvOptions
            {
                ConnectionMultiplexerFactory = () => Task.FromResult(_target.Multiplexer),
                InstanceName = InstanceName,
            },
            _clock,
            serializer);
        lock (_adaptors)
        {
            _adaptors.Add(adaptor);
        }

        return adaptor;
    }

    public async ValueTask AdvanceTimeAsync(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        _clock.Advance(by);
        string milliseconds = ((long)Math.Ceiling(by.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

        // First every namespace's index together with its data keys, then any other key with a TTL.
        var handled = new HashSet<string>(StringComparer.Ordinal);
        await _target.ForEachKeyAsync(InstanceName, async (connection, key) =>
        {
            string name = Encoding.UTF8.GetString(key);
            if (name.EndsWith(IndexMarker + "exp", StringComparison.Ordinal))
            {
                string prefix = name[..^"__kv:exp".Length];
                var keys = (object?[])(await connection.CommandAsync("EVAL", AdvanceIndexScript, "1", key, milliseconds, prefix))!;
                handled.UnionWith(keys.Select(k => Convert.ToHexString((byte[])k!)));
            }
        });
        await _target.ForEachKeyAsync(InstanceName, async (connection, key) =>
        {
            if (!handled.Contains(Convert.ToHexString(key)) && !Encoding.UTF8.GetString(key).Contains(IndexMarker, StringComparison.Ordinal))
            {
                await connection.CommandAsync("EVAL", AdvanceScript, "1", key, milliseconds);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        RedisKv[] adaptors;
        lock (_adaptors)
        {
            adaptors = [.. _adaptors];
        }

        foreach (RedisKv adaptor in adaptors)
        {
            await adaptor.DisposeAsync();
        }

        // Leaves nothing behind, for a shared server named by KV_TEST_REDIS.
        await _target.DeleteKeysAsync(InstanceName);
    }
}
