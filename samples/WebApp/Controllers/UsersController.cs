using Microsoft.AspNetCore.Mvc;
using WebApp.Services;

namespace WebApp.Controllers;

/// <summary>Users through the Kv cache-aside service: the first read loads from the "database", later ones from Kv.</summary>
[ApiController]
[Route("api/users")]
public sealed class UsersController(CachedUserService users) : ControllerBase
{
    /// <summary>A user; <c>source</c> says whether the cache served it.</summary>
    [HttpGet("{id}")]
    [ProducesResponseType<UserResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType(StatusCodes.Status404NotFound)]
    public async Task<IActionResult> Get(string id, CancellationToken cancellationToken)
    {
        (User? user, bool fromCache) = await users.GetUserAsync(id, cancellationToken);
        return user is null ? NotFound() : Ok(new UserResponse(user, fromCache ? "cache" : "database"));
    }

    /// <summary>Saves a user and drops its cached copy.</summary>
    [HttpPut("{id}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    public async Task<IActionResult> Put(string id, UserUpdate update, CancellationToken cancellationToken)
    {
        await users.SaveUserAsync(new User(id, update.Name, update.Email), cancellationToken);
        return NoContent();
    }

    public sealed record UserResponse(User User, string Source);

    public sealed record UserUpdate(string Name, string Email);
}
