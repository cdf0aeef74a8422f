using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace WebApp.Controllers;

/// <summary>An endpoint rate-limited per client IP by a Kv fixed-window limiter (policy <c>per-ip</c>): the same
/// limit holds across every app instance sharing the Redis. Past it: 429 with <c>Retry-After</c>.</summary>
[ApiController]
[Route("api/limited")]
[EnableRateLimiting(Program.PerIpPolicy)]
public sealed class LimitedController : ControllerBase
{
    [HttpGet]
    public LimitedResponse Get() => new("You are within the limit.");

    public sealed record LimitedResponse(string Message);
}
