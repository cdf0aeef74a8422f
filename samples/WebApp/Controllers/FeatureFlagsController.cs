using Microsoft.AspNetCore.Mvc;
using WebApp.Services;

namespace WebApp.Controllers;

/// <summary>Feature flags kept in the keyed Kv namespace <c>flags</c>.</summary>
[ApiController]
[Route("api/flags")]
public sealed class FeatureFlagsController(FeatureFlagService flags) : ControllerBase
{
    /// <summary>Whether a flag is on (a flag never set is off).</summary>
    [HttpGet("{name}")]
    public async Task<FlagState> Get(string name, CancellationToken cancellationToken) =>
        new(name, await flags.IsEnabledAsync(name, cancellationToken));

    /// <summary>Turns a flag on or off.</summary>
    [HttpPut("{name}")]
    public async Task<FlagState> Put(string name, FlagUpdate update, CancellationToken cancellationToken)
    {
        await flags.SetAsync(name, update.Enabled, cancellationToken);
        return new FlagState(name, update.Enabled);
    }

    public sealed record FlagState(string Name, bool Enabled);

    public sealed record FlagUpdate(bool Enabled);
}
