using Microsoft.Extensions.Hosting;

namespace Kv;

/// <summary>
/// A hosted service that belongs to one backend, such as the memory backend's GC. When
/// <c>UseAdaptor</c> chooses another backend, every hosted service registered with an implementation type
/// that implements this interface is removed, so nothing of the old backend is left running.
/// </summary>
public interface IKvBackendService : IHostedService
{
}
