using System.Threading.RateLimiting;

namespace Kv.Internal;

/// <summary>A lease of a Kv rate limiter: nothing to give back (the permits are time-based), only metadata.</summary>
internal sealed class KvRateLimitLease : RateLimitLease
{
    public static readonly KvRateLimitLease Acquired = new(isAcquired: true, retryAfter: null, reason: null);

    private readonly TimeSpan? _retryAfter;
    private readonly string? _reason;

    public KvRateLimitLease(bool isAcquired, TimeSpan? retryAfter, string? reason)
    {
        IsAcquired = isAcquired;
        _retryAfter = retryAfter;
        _reason = reason;
    }

    public override bool IsAcquired { get; }

    public override IEnumerable<string> MetadataNames
    {
        get
        {
            if (_retryAfter is not null)
            {
                yield return MetadataName.RetryAfter.Name;
            }

            if (_reason is not null)
            {
                yield return MetadataName.ReasonPhrase.Name;
            }
        }
    }

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (_retryAfter is { } retryAfter && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = retryAfter;
            return true;
        }

        if (_reason is not null && metadataName == MetadataName.ReasonPhrase.Name)
        {
            metadata = _reason;
            return true;
        }

        metadata = null;
        return false;
    }
}
