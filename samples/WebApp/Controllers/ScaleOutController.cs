using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Caching.Hybrid;
using WebApp.Services;

namespace WebApp.Controllers;

/// <summary>Output caching, Data Protection and HybridCache, all on Kv, so every instance on one store agrees.</summary>
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

    /// <summary>Protects a text with the key ring kept in Kv.</summary>
    /// <param name="provider">Data Protection.</param>
    /// <param name="text">The text.</param>
    /// <returns>The protected payload.</returns>
    [HttpPost("protect")]
    public string Protect([FromServices] IDataProtectionProvider provider, [FromQuery] string text) =>
        provider.CreateProtector("WebApp.ScaleOut").Protect(text);

    /// <summary>Unprotects a payload protected by any instance on the same store.</summary>
    /// <param name="provider">Data Protection.</param>
    /// <param name="payload">The payload.</param>
    /// <returns>The text, or 400 for a payload no key of the ring unprotects.</returns>
    [HttpPost("unprotect")]
    public IActionResult Unprotect([FromServices] IDataProtectionProvider provider, [FromQuery] string payload)
    {
        try
        {
            return Ok(provider.CreateProtector("WebApp.ScaleOut").Unprotect(payload));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return BadRequest();
        }
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
