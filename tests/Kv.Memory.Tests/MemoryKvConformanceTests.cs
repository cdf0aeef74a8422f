using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace Kv.Memory.Tests;

/// <summary>The shared Kv contract, run on <see cref="MemoryKv"/> with a fake clock.</summary>
public sealed class MemoryKvConformanceTests() : KvConformanceTests(new MemoryTestBackend());

internal sealed class MemoryTestBackend : IKvTestBackend
{
    private readonly FakeTimeProvider _clock = new();
    private readonly MemoryKv _kv;

    public MemoryTestBackend() => _kv = new MemoryKv(new MemoryKvOptions(), _clock);

    public TimeProvider TimeProvider => _clock;

    public TimeSpan ExpiryPrecision => TimeSpan.Zero;

    // One process, one store: every "instance" is the same adaptor.
    public AtomicKvAdaptor CreateAdaptor() => _kv;

    // Another serializer means another MemoryKv, which cannot share the first one's data; the suite's tests
    // that use it read back through the adaptor they wrote with, or through Root for what both see the same.
    public AtomicKvAdaptor CreateAdaptor(KvValueSerializer serializer) => _kv.WithSerializer(serializer);

    public ValueTask AdvanceTimeAsync(TimeSpan by)
    {
        _clock.Advance(by);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The fuzz test of bad input on <see cref="MemoryKv"/>, against a second <see cref="MemoryKv"/>.</summary>
public sealed class MemoryKvBadInputFuzzTests() : KvBadInputFuzzTests(new MemoryTestBackend());
