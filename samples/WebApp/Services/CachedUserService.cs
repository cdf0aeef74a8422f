using Kv;

namespace WebApp.Services;

/// <summary>
/// Cache-aside on Kv, in the style of the seeds' <c>CacheService</c>: users live in the keyed namespace <c>users</c>
/// under <c>user:{id}</c> for an hour; a miss loads from the repository and fills the cache; a save writes the
/// repository, then drops the cached copy so the next read reloads it.
/// </summary>
public sealed class CachedUserService([FromKeyedServices("users")] IAtomicKvStore cache, UserRepository repository)
{
    private static readonly KvSetOptions CacheFor = KvSetOptions.WithTtl(TimeSpan.FromHours(1));

    /// <summary>The user, and whether the cache served it.</summary>
    public async Task<(User? User, bool FromCache)> GetUserAsync(string id, CancellationToken cancellationToken)
    {
        if (await cache.GetAsync<User>($"user:{id}", cancellationToken) is { } cached)
        {
            return (cached, true);
        }

        User? user = await repository.FindAsync(id, cancellationToken);
        if (user is not null)
        {
            await cache.SetAsync($"user:{id}", user, CacheFor, cancellationToken);
        }

        return (user, false);
    }

    public async Task SaveUserAsync(User user, CancellationToken cancellationToken)
    {
        await repository.SaveAsync(user, cancellationToken);
        await cache.DeleteAsync($"user:{user.Id}", cancellationToken);
    }
}
