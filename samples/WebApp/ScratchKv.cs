using Kv;

namespace WebApp;

/// <summary>The generic <c>/kv/{ns}/{key}</c> endpoint's own namespace.</summary>
public static class ScratchKv
{
    /// <summary>The top-level namespace of the generic <c>/kv/{ns}/{key}</c> endpoint.</summary>
    public const string TopLevel = "kv";

    /// <summary>The generic endpoint's namespace <paramref name="ns"/>: a child of <see cref="TopLevel"/>.</summary>
    public static IAtomicKvStore Namespace(AtomicKvAdaptor kv, string ns) => kv.Namespace(TopLevel).Namespace(ns);
}
