using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Conformance;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.RateLimiting;

// The limiter tests on a backend without the rate-limit capability (PortableKvAdaptor, a backend written on the public
// API, which does not implement IKvRateLimitStore), so Kv.AspNetCore's portable decisions run: every algorithm on an
// optimistic, version-checked transaction through the public API, with its state under an ordinary key "kv:rl:…" of the
// limiter's namespace instead of the reserved "__kv:rl:…".

/// <summary>
/// Four "application instances", each its own <see cref="PortableKvAdaptor"/>, over one <see cref="MemoryKv"/>; all on
/// the test's fake clock.
/// </summary>
public sealed class PortableRateLimitBackend : RateLimitBackend
{
    private readonly MemoryKv _kv;
    private readonly Dictionary<int, PortableKvAdaptor> _adaptors = [];

    public PortableRateLimitBackend() => _kv = new MemoryKv(new MemoryKvOptions(), Clock);

    // Decisions are the portable ones, which do not claim to complete synchronously.
    public override bool InProcess => false;

    public override IAtomicKvStore Store(int instance, ILoggerFactory? loggerFactory = null)
    {
        lock (_adaptors)
        {
            if (!_adaptors.TryGetValue(instance, out PortableKvAdaptor? adaptor))
            {
                adaptor = new PortableKvAdaptor(_kv, Clock);
                _adaptors[instance] = adaptor;
            }

            return adaptor.Namespace("ratelimit");
        }
    }

    // Where the portable decisions keep a partition's state: the reserved key without its "__", through the public API.
    public override async Task<KvTimeToLive> StateTimeToLiveAsync(string stateKey)
    {
        Assert.StartsWith("__kv:rl:", stateKey, StringComparison.Ordinal);
        return await Store(0).GetTimeToLiveAsync(stateKey[2..]);
    }

    public override async Task AssertEveryLimiterKeyHasTtlAsync(IReadOnlyCollection<string> stateKeys)
    {
        TimeSpan longest = TimeSpan.Zero;
        foreach (string key in stateKeys)
        {
            KvTimeToLive ttl = await StateTimeToLiveAsync(key);
            Assert.True(ttl.State == KvTtlState.Expiring, $"{key}: {ttl.State}");
            longest = ttl.Remaining!.Value > longest ? ttl.Remaining.Value : longest;
        }

        // Only limiter state lives in the wrapped MemoryKv: once the longest TTL has passed, nothing is left.
        Assert.Equal(stateKeys.Count, _kv.EntryCount);
        Clock.Advance(longest);
        _kv.CollectExpired();
        Assert.Equal(0, _kv.EntryCount);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class PortableKvFixedWindowRateLimiterTests : KvFixedWindowRateLimiterTests
{
    protected override RateLimitBackend CreateBackend() => new PortableRateLimitBackend();
}

public sealed class PortableKvSlidingWindowRateLimiterTests : KvSlidingWindowRateLimiterTests
{
    protected override RateLimitBackend CreateBackend() => new PortableRateLimitBackend();
}

public sealed class PortableKvTokenBucketRateLimiterTests : KvTokenBucketRateLimiterTests
{
    protected override RateLimitBackend CreateBackend() => new PortableRateLimitBackend();
}

/// <summary>
/// 1000 concurrent attempts from four instances, limit 100: exactly 100 admitted. On this backend every algorithm races
/// on optimistic commits (the portable decision retries a lost commit up to 100 times, then throws).
/// </summary>
public sealed class PortableKvRateLimiterConcurrencyTests : KvRateLimiterConcurrencyTests
{
    protected override RateLimitBackend CreateBackend() => new PortableRateLimitBackend();
}

/// <summary>
/// The Kv contract run on the double itself: evidence that it is a faithful backend, so what the limiter tests
/// above find is about the defaults, not about the double.
/// </summary>
public sealed class PortableKvAdaptorConformanceTests() : KvConformanceTests(new PortableTestBackend());

internal sealed class PortableTestBackend : IKvTestBackend
{
    private readonly FakeTimeProvider _clock = new();
    private readonly MemoryKv _kv;
    private readonly PortableKvAdaptor _adaptor;

    public PortableTestBackend()
    {
        _kv = new MemoryKv(new MemoryKvOptions(), _clock);
        _adaptor = new PortableKvAdaptor(_kv, _clock);
    }

    public TimeProvider TimeProvider => _clock;

    public TimeSpan ExpiryPrecision => TimeSpan.Zero;

    public AtomicKvAdaptor CreateAdaptor() => _adaptor;

    // The same data, with values encoded by another serializer (the wrapped store only moves payloads).
    public AtomicKvAdaptor CreateAdaptor(KvValueSerializer serializer) => new PortableKvAdaptor(_kv, _clock, serializer);

    public ValueTask AdvanceTimeAsync(TimeSpan by)
    {
        _clock.Advance(by);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
