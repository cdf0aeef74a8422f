namespace Kv;

/// <summary>
/// A <see cref="KvAdaptor"/> whose stores also offer atomic increment and set-if-not-exists,
/// atomic across every adaptor instance that shares the same backend.
/// </summary>
public abstract class AtomicKvAdaptor : KvAdaptor
{
    /// <summary>Creates an adaptor.</summary>
    /// <param name="metrics">The metrics its stores record, or <see langword="null"/> for none (see <see cref="KvAdaptor.Metrics"/>).</param>
    protected AtomicKvAdaptor(KvMetrics? metrics = null)
        : base(metrics)
    {
    }

    /// <inheritdoc />
    public abstract override IAtomicKvStore Namespace(string name);
}
