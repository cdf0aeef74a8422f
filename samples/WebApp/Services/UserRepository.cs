using System.Collections.Concurrent;

namespace WebApp.Services;

/// <summary>
/// Stands in for a slow database: the thing the cache saves trips to. It counts its loads so the sample (and its
/// tests) can show which reads the cache served.
/// </summary>
public sealed class UserRepository
{
    private readonly ConcurrentDictionary<string, User> _users = new(StringComparer.Ordinal)
    {
        ["1"] = new User("1", "Alice", "alice@example.com"),
        ["2"] = new User("2", "Bob", "bob@example.com"),
    };

    private int _loads;

    /// <summary>How many times a user was loaded from the "database".</summary>
    public int Loads => Volatile.Read(ref _loads);

    public async Task<User?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await Task.Delay(20, cancellationToken); // The round trip a cache hit avoids.
        Interlocked.Increment(ref _loads);
        return _users.TryGetValue(id, out User? user) ? user : null;
    }

    public Task SaveAsync(User user, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _users[user.Id] = user;
        return Task.CompletedTask;
    }
}
