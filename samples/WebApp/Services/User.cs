namespace WebApp.Services;

/// <summary>A user, as the sample's "database" holds it and the cache stores it (as JSON).</summary>
public sealed record User(string Id, string Name, string Email);
