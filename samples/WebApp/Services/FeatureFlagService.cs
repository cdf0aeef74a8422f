using Kv;

namespace WebApp.Services;

/// <summary>Feature flags in the keyed namespace <c>flags</c>: a flag is a bool; a flag never set is off.</summary>
public sealed class FeatureFlagService([FromKeyedServices("flags")] IKvStore flags)
{
    public async Task<bool> IsEnabledAsync(string name, CancellationToken cancellationToken) =>
        await flags.GetAsync<bool>(name, cancellationToken);

    public async Task SetAsync(string name, bool enabled, CancellationToken cancellationToken) =>
        await flags.SetAsync(name, enabled, options: null, cancellationToken);
}
