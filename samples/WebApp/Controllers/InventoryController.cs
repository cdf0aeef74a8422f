using Microsoft.AspNetCore.Mvc;
using WebApp.Services;

namespace WebApp.Controllers;

/// <summary>A lock-protected read-modify-write: concurrent reservations, from any number of app instances, lose none.</summary>
[ApiController]
[Route("api/inventory")]
public sealed class InventoryController(InventoryService inventory) : ControllerBase
{
    /// <summary>Reserves one unit of <paramref name="item"/> under the item's distributed lock.</summary>
    [HttpPost("{item}/reserve")]
    public Task<InventoryService.Reservation> Reserve(string item, CancellationToken cancellationToken) =>
        inventory.ReserveAsync(item, cancellationToken);

    /// <summary>How many units of <paramref name="item"/> are reserved.</summary>
    [HttpGet("{item}")]
    public async Task<ReservedCount> Get(string item, CancellationToken cancellationToken) =>
        new(item, await inventory.GetReservedAsync(item, cancellationToken));

    public sealed record ReservedCount(string Item, long Reserved);
}
