namespace Kv;

/// <summary>
/// For backend authors: what one decision does to a partition's state (see
/// <see cref="KvStoreBase.DecideSlidingWindow"/> and <see cref="KvStoreBase.DecideTokenBucket"/>). Store
/// <see cref="NewState"/> with <see cref="NewStateTtl"/> atomically with the read the decision was made on; when it is
/// <see langword="null"/>, store nothing.
/// </summary>
/// <param name="Decision">The decision.</param>
/// <param name="NewState">The state to store, or <see langword="null"/> when the state does not change.</param>
/// <param name="NewStateTtl">The TTL of <see cref="NewState"/> (whole milliseconds, at least one): after it the
/// state means the same as no state at all.</param>
public readonly record struct KvRateLimitStateChange(KvRateLimitDecision Decision, string? NewState, TimeSpan NewStateTtl);
