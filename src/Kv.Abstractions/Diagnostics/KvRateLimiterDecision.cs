namespace Kv;

/// <summary>What a Kv rate limiter decided, as <see cref="KvMetrics.RecordRateLimiterDecision(IKvStore, string, KvRateLimiterDecision)"/>
/// records it (the <c>kv.result</c> tag).</summary>
public enum KvRateLimiterDecision
{
    /// <summary>The permit was granted (<c>acquired</c>).</summary>
    Acquired,

    /// <summary>The permit was refused: the limit is reached (<c>rejected</c>).</summary>
    Rejected,

    /// <summary>The store failed and the limiter let the request through (<c>failed_open</c>).</summary>
    FailedOpen,

    /// <summary>The store failed and the limiter refused the request (<c>failed_closed</c>).</summary>
    FailedClosed,
}
