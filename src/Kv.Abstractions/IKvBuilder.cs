using Microsoft.Extensions.DependencyInjection;

namespace Kv;

/// <summary>
/// Returned by <c>services.AddKv()</c>: the place to choose a backend (<c>UseMemory</c>, <c>UseRedis</c>)
/// and register namespaces (<c>AddNamespace</c>). Backends add their own extension methods to it.
/// </summary>
public interface IKvBuilder
{
    /// <summary>The service collection Kv is registered in.</summary>
    IServiceCollection Services { get; }
}
