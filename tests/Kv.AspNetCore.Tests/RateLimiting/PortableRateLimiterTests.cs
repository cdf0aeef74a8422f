using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Conformance;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.RateLimiting;

// The limiter tests on a backend that does not override the rate-limit hooks (PortableKvAdaptor, a backend written on
// the public API), so the portable defaults of KvStoreBase.RateLimiting.cs run: the fixed window on an atomic
// increment, the sliding window and the token bucket on optimistic, version-checked transactions.

/// <summary>
/// Four "application instances", each its own <see cref="PortableKvAdaptor"/>, over one <see cref="MemoryKv"/>; all on
/// the test's fake clock.
/// </summary>
public sealed class PortableRateLimitBackend : RateLimitBackend
{
    private readonly MemoryKv _kv;
    private readonly Dictionary<int, PortableKvAdaptor> _adaptors = [];

    public PortableRateLimitBackend() => _kv = new MemoryKv(new MemoryKvOptions(), Clock);

    // Decisions go through the default code path, which does not claim to complete synchronously.
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

    public override async Task AssertEveryLimiterKeyHasTtlAsync(IReadOnlyCollection<string> stateKeys)
    {
        IAtomicKvStore store = Store(0);
        TimeSpan longest = TimeSpan.Zero;
        foreach (string key in stateKeys)
        {
            KvTimeToLive ttl = await TimeToLiveAsync(store, key);
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
/// 1000 concurrent attempts from four instances, limit 100: exactly 100 admitted. On this backend the sliding window
/// and the token bucket race on optimistic commits (the default retries a lost commit up to 100 times, then throws).
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
