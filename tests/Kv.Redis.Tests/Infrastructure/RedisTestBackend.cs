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
/// passing by moving every expiry of this backend earlier by the same amount: each key's remaining TTL is lowered, and
/// a key it takes to zero is deleted, as Redis would have expired it. It advances <see cref="TimeProvider"/> (a <see cref="FakeTimeProvider"/>) by as much, so expiry instants stay
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

    private const string ReservedMarker = "::__kv:";

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

    /// <summary>Redis removes expired keys itself, and Kv keeps nothing beside them there: CollectExpired finds nothing.</summary>
    public bool ExpiresEntriesItself => true;

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

        // Every data key's remaining TTL (Kv's own keys under "__kv:" are left alone).
        await _target.ForEachKeyAsync(InstanceName, async (connection, key) =>
        {
            if (!Encoding.UTF8.GetString(key).Contains(ReservedMarker, StringComparison.Ordinal))
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
