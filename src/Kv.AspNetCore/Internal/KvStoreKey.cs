using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Kv.Internal;

/// <summary>
/// Turns an arbitrary string from another API (a rate-limit partition, an <c>IDistributedCache</c> key) into a key the
/// store accepts, one-to-one.
/// </summary>
/// <remarks>
/// Short keys that already follow the key rules are used as they are, so redis-cli shows them; longer or invalid ones
/// become <c>#</c> + the base64url SHA-256 of their UTF-8 (44 characters). A key that itself starts with <c>#</c> is
/// always hashed, so no plain key can equal a hashed one.
/// </remarks>
internal static class KvStoreKey
{
    /// <summary>Maps <paramref name="key"/>.</summary>
    /// <param name="key">The key as the caller gave it; any string.</param>
    /// <param name="maxPlainLength">The longest key used as it is.</param>
    /// <param name="isValid">Whether the store accepts the key as it is (for rate limiting, a key that becomes part of a
    /// longer reserved key).</param>
    /// <returns>The store key.</returns>
    public static string From(string key, int maxPlainLength, Func<string, bool> isValid)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length > 0 && key.Length <= maxPlainLength && key[0] != '#' && isValid(key))
        {
            return key;
        }

        return "#" + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
