using System.Globalization;
using Kv.Conformance;

namespace Kv.Redis.Tests.Infrastructure;

/// <summary>
/// The conformance suite's view of a Redis deployment. Each backend (one per test) has an instance name of its own,
/// so tests sharing a server never see each other's keys, and a clock of its own.
/// </summary>
/// <remarks>
/// Redis counts TTLs on its own clock, which the test cannot stop. <see cref="AdvanceTimeAsync"/> emulates time
/// passing by lowering the remaining TTL of every key of this backend by the same amount (deleting the keys it
/// takes to zero or below), and shifts <see cref="TimeProvider"/> so expiry instants stay consistent. Real time
/// passes too meanwhile, hence <see cref="ExpiryPrecision"/>.
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

    private readonly RedisTarget _target;
    private readonly ShiftedTimeProvider _clock = new();
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
        await _target.ForEachKeyAsync(InstanceName, (connection, key) => connection.CommandAsync("EVAL", AdvanceScript, "1", key, milliseconds));
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
