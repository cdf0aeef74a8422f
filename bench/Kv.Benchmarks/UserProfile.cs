namespace Kv.Benchmarks;

/// <summary>The record the benchmarks store: a small user profile, about 150 bytes of JSON.</summary>
public sealed record UserProfile(int Id, string Name, string Email, DateTimeOffset Joined, bool Verified, string[] Roles)
{
    /// <summary>A typical profile.</summary>
    public static UserProfile Sample { get; } = new(
        12345,
        "Ada Lovelace",
        "ada@example.org",
        new DateTimeOffset(2026, 11, 22, 9, 30, 0, TimeSpan.Zero),
        true,
        ["reader", "editor"]);
}
