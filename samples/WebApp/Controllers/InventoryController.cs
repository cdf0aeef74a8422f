using Microsoft.AspNetCore.Mvc;
using WebApp.Services;

namespace WebApp.Controllers;

/// <summary>A lock-protected read-modify-write: concurrent reservations, from any number of app instances, lose none.</summary>
[ApiController]
[Route("api/inventory")]
public sealed class InventoryController(InventoryService inventory) : ControllerBase
{
    /// <summary>Reserves one unit of <paramref name="item"/> under the item's distributed lock; 409 when this request
    /// lost its lock to a newer holder before it could write (nothing was written: retry).</summary>
    [HttpPost("{item}/reserve")]
    [ProducesResponseType(StatusCodes.Status409Conflict)]
    public async Task<ActionResult<InventoryService.Reservation>> Reserve(string item, CancellationToken cancellationToken)
    {
        try
        {
            return await inventory.ReserveAsync(item, cancellationToken);
        }
        catch (StaleLockHolderException ex)
        {
            return Problem(ex.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    /// <summary>How many units of <paramref name="item"/> are reserved.</summary>
    [HttpGet("{item}")]
    public async Task<ReservedCount> Get(string item, CancellationToken cancellationToken) =>
        new(item, await inventory.GetReservedAsync(item, cancellationToken));

    public sealed record ReservedCount(string Item, long Reserved);
}
