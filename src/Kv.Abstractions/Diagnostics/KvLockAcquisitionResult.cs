namespace Kv;

/// <summary>How an attempt to take a distributed lock ended, as <see cref="KvMetrics.RecordLockAcquisition(IKvStore, KvLockAcquisitionResult)"/>
/// records it (the <c>kv.result</c> tag).</summary>
public enum KvLockAcquisitionResult
{
    /// <summary>The lock was taken (<c>acquired</c>).</summary>
    Acquired,

    /// <summary>A try-acquire found the lock held (<c>busy</c>).</summary>
    Busy,

    /// <summary>An acquire waited its whole timeout (<c>timeout</c>).</summary>
    TimedOut,
}
