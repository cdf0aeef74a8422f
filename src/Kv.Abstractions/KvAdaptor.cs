namespace Kv;

/// <summary>
/// The root of a key-value backend. An adaptor holds no keys of its own: every key lives in a
/// namespace taken from it with <see cref="Namespace(string)"/>.
/// </summary>
/// <remarks>
/// Adaptors are thread-safe and meant to be shared for the life of the application (register them
/// as singletons; <c>services.AddKv()</c> does).
/// </remarks>
public abstract class KvAdaptor
{
    /// <summary>Returns the store of the top-level namespace <paramref name="name"/>.</summary>
    /// <param name="name">The namespace name. It follows the key rules and may not contain
    /// <see cref="KvKeyLayout.NamespaceSeparator"/>.</param>
    /// <returns>A store whose keys are isolated from every other namespace.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KvException">The name is empty or whitespace (<see cref="KvErrorCode.EmptyNamespace"/>) or
    /// otherwise invalid (<see cref="KvErrorCode.InvalidNamespace"/>).</exception>
    public abstract IKvStore Namespace(string name);
}
