namespace Kv;

/// <summary>The outcome of <see cref="KvTransaction.CommitAsync"/>.</summary>
/// <param name="Applied">Whether every check held and the writes were applied.</param>
/// <param name="Version">When applied, the version every entry the transaction wrote now has; otherwise 0.</param>
public readonly record struct KvCommitResult(bool Applied, long Version);
