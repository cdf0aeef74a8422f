namespace Kv.Conformance;

/// <summary>
/// What the conformance suite needs from a backend under test. One instance serves one test class instance.
/// </summary>
public interface IKvTestBackend : IAsyncDisposable
{
    /// <summary>
    /// Returns an adaptor on the backend. Adaptors returned by several calls share the same data, as separate
    /// application instances sharing one server would (an in-process backend may return the same adaptor).
    /// </summary>
    AtomicKvAdaptor CreateAdaptor();

    /// <summary>Returns an adaptor on the same data that encodes values with <paramref name="serializer"/>.</summary>
    AtomicKvAdaptor CreateAdaptor(KvValueSerializer serializer);

    /// <summary>The clock the backend's adaptors read (for <see cref="KvEntry{T}.ExpiresAt"/>).</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Moves the backend's notion of time forward by <paramref name="by"/>, for every TTL it holds.</summary>
    ValueTask AdvanceTimeAsync(TimeSpan by);

    /// <summary>
    /// How precisely <see cref="AdvanceTimeAsync"/> lands on an expiry instant: <see cref="TimeSpan.Zero"/> for a fake
    /// clock (exact to the tick); a small margin for a server whose own clock keeps running during the test.
    /// </summary>
    TimeSpan ExpiryPrecision { get; }

    /// <summary>
    /// Whether the backend's server removes expired entries by itself and the adaptor keeps nothing beside them that
    /// <see cref="KvAdaptor.CollectExpiredAsync"/> would remove (Redis): its collection then always returns 0. False by
    /// default: the adaptor's collection removes what expired (memory, SQLite).
    /// </summary>
    bool ExpiresEntriesItself => false;
}
