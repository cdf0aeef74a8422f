using System.Text;
using Kv.Conformance;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Time.Testing;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>The cache on MemoryKv, on a fake clock; the synchronous methods work (the backend completes synchronously).</summary>
public sealed class MemoryKvDistributedCacheTests : KvDistributedCacheTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly MemoryKv _kv;

    public MemoryKvDistributedCacheTests()
    {
        _kv = new MemoryKv(new MemoryKvOptions(), _clock);
    }

    protected override KvAdaptor Adaptor => _kv;

    protected override TimeProvider Clock => _clock;

    protected override Task AdvanceAsync(TimeSpan by, params string[] keys)
    {
        _clock.Advance(by);
        return Task.CompletedTask;
    }

    [Fact]
    public void Synchronous_methods_report_argument_errors_as_thrown_exceptions()
    {
        Assert.Throws<ArgumentNullException>(() => Cache.Set(null!, [1], new DistributedCacheEntryOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => Cache.Set(
            "past", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = _clock.GetUtcNow() - TimeSpan.FromSeconds(1) }));
    }
}
