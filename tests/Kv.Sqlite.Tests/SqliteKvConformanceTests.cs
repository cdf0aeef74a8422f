using Kv.Conformance;

namespace Kv.Sqlite.Tests;

/// <summary>The shared Kv contract on <see cref="SqliteKv"/> with <see cref="SqliteDurability.Full"/>.</summary>
public sealed class SqliteKvConformanceTests() : KvConformanceTests(new SqliteTestBackend(SqliteDurability.Full));

/// <summary>The shared Kv contract on <see cref="SqliteKv"/> with <see cref="SqliteDurability.Normal"/>.</summary>
public sealed class SqliteKvNormalDurabilityConformanceTests() : KvConformanceTests(new SqliteTestBackend(SqliteDurability.Normal));

/// <summary>The fuzz test of bad input on <see cref="SqliteKv"/>, against <see cref="MemoryKv"/>.</summary>
public sealed class SqliteKvBadInputFuzzTests() : KvBadInputFuzzTests(new SqliteTestBackend(SqliteDurability.Full));
