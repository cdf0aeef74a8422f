using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Kv.Internal;

/// <summary>Turns any partition key into one the store accepts (<see cref="IKvRateLimitStore"/>).</summary>
internal static class KvRateLimitPartitionKey
{
    // Short printable keys (IP addresses, user ids, API keys' ids) are used as they are, so redis-cli shows them;
    // longer or unprintable ones become '#' + the base64url SHA-256 of their UTF-8 (43 characters). A key that itself
    // starts with '#' is always hashed, so no plain key can equal a hashed one.
    private const int MaxPlainLength = 128;

    public static string ToStoreKey(string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        if (partitionKey.Length is > 0 and <= MaxPlainLength && partitionKey[0] != '#' && KvKeyRules.IsValidKey("k" + partitionKey))
        {
            return partitionKey;
        }

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(partitionKey));
        return "#" + Base64Url.EncodeToString(hash);
    }
}
