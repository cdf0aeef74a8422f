using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Caching.Hybrid;
using WebApp.Services;

namespace WebApp.Controllers;

/// <summary>Output caching and HybridCache, all on Kv, so every instance on one store agrees.</summary>
[ApiController]
[Route("api/scaleout")]
public sealed class ScaleOutController(TimeProvider clock) : ControllerBase
{
    /// <summary>The time this response was rendered; cached for a minute in Kv's output cache.</summary>
    /// <returns>The render time.</returns>
    [HttpGet("clock")]
    [OutputCache(PolicyName = "clock")]
    public string Clock() => clock.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture) + " " + Guid.NewGuid().ToString("N");

    /// <summary>Evicts the cached clock on every instance.</summary>
    /// <param name="store">The output cache store (Kv's).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>204.</returns>
    [HttpDelete("clock")]
    public async Task<IActionResult> EvictClock([FromServices] IOutputCacheStore store, CancellationToken cancellationToken)
    {
        await store.EvictByTagAsync(ScaleOutServiceCollectionExtensions.ClockTag, cancellationToken);
        return NoContent();
    }

    /// <summary>A value made once and then read from HybridCache (L1 in this instance, L2 in Kv for every instance).</summary>
    /// <param name="cache">HybridCache.</param>
    /// <param name="name">The value's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The value: the name and when it was made.</returns>
    [HttpGet("hybrid/{name}")]
    public async Task<string> Hybrid([FromServices] HybridCache cache, string name, CancellationToken cancellationToken) =>
        await cache.GetOrCreateAsync(
            "scaleout:" + name,
            ct => ValueTask.FromResult(name + " made " + clock.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture) + " " + Guid.NewGuid().ToString("N")),
            cancellationToken: cancellationToken);

    /// <summary>Removes a HybridCache value from this instance's L1 and from Kv (L2).</summary>
    /// <param name="cache">HybridCache.</param>
    /// <param name="name">The value's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>204.</returns>
    [HttpDelete("hybrid/{name}")]
    public async Task<IActionResult> RemoveHybrid([FromServices] HybridCache cache, string name, CancellationToken cancellationToken)
    {
        await cache.RemoveAsync("scaleout:" + name, cancellationToken);
        return NoContent();
    }
}
