namespace Kv;

/// <summary>
/// A <see cref="KvAdaptor"/> whose stores also offer atomic increment and set-if-not-exists,
/// atomic across every adaptor instance that shares the same backend.
/// </summary>
public abstract class AtomicKvAdaptor : KvAdaptor
{
    /// <inheritdoc />
    public abstract override IAtomicKvStore Namespace(string name);
}
