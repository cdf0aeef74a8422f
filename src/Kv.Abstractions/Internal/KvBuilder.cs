using Microsoft.Extensions.DependencyInjection;

namespace Kv.Internal;

internal sealed class KvBuilder(IServiceCollection services) : IKvBuilder
{
    public IServiceCollection Services { get; } = services;
}
