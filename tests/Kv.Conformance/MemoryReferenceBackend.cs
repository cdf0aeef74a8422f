using Microsoft.Extensions.Time.Testing;

namespace Kv.Conformance;

/// <summary>
/// <see cref="MemoryKv"/> on a <see cref="FakeTimeProvider"/>: the reference that the fuzz and differential tests
/// compare every other backend with.
/// </summary>
public sealed class MemoryReferenceBackend : IKvTestBackend
{
    private readonly FakeTimeProvider _clock = new();
    private readonly MemoryKv _kv;

    /// <summary>Creates an empty store.</summary>
    public MemoryReferenceBackend() => _kv = new MemoryKv(new MemoryKvOptions(), _clock);

    /// <inheritdoc />
    public TimeProvider TimeProvider => _clock;

    /// <inheritdoc />
    public TimeSpan ExpiryPrecision => TimeSpan.Zero;

    /// <inheritdoc />
    /// <remarks>One process, one store: every "instance" is the same adaptor.</remarks>
    public AtomicKvAdaptor CreateAdaptor() => _kv;

    /// <inheritdoc />
    /// <remarks>The comparisons use one serializer; the conformance suite's serializer tests run on each backend's own.</remarks>
    public AtomicKvAdaptor CreateAdaptor(KvValueSerializer serializer) =>
        throw new NotSupportedException("The reference backend uses one serializer.");

    /// <inheritdoc />
    public ValueTask AdvanceTimeAsync(TimeSpan by)
    {
        _clock.Advance(by);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
