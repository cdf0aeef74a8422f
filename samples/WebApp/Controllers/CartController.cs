using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace WebApp.Controllers;

/// <summary>
/// Session state kept in Kv (<c>AddKvDistributedCache</c> + <c>AddSession</c>); the session cookie is protected with
/// the key ring in Kv (<c>PersistKeysToKv</c>), so any instance reads it. Each action first awaits
/// <c>Session.LoadAsync()</c>, so the session loads without holding a thread; without it the session loads through the
/// cache's synchronous methods, which work on every backend too.
/// </summary>
[ApiController]
[Route("api/cart")]
public sealed class CartController : ControllerBase
{
    private const string CartKey = "cart";

    /// <summary>The items in this session's cart.</summary>
    [HttpGet]
    public async Task<IReadOnlyList<string>> Get()
    {
        await HttpContext.Session.LoadAsync(HttpContext.RequestAborted);
        return ReadCart();
    }

    /// <summary>Adds an item to this session's cart.</summary>
    [HttpPost("items")]
    public async Task<IReadOnlyList<string>> Add(CartItem item)
    {
        await HttpContext.Session.LoadAsync(HttpContext.RequestAborted);
        List<string> cart = [.. ReadCart(), item.Name];
        HttpContext.Session.SetString(CartKey, JsonSerializer.Serialize(cart));
        return cart;
    }

    private List<string> ReadCart() =>
        HttpContext.Session.GetString(CartKey) is { } json ? JsonSerializer.Deserialize<List<string>>(json) ?? [] : [];

    public sealed record CartItem(string Name);
}
