using Microsoft.Extensions.DependencyInjection;

namespace Kv.Internal;

internal sealed class KvBuilder(IServiceCollection services) : IKvBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Registered once by <c>AddKv()</c>, so a second call knows Kv is already there.</summary>
internal sealed class KvRegistrationMarker;
