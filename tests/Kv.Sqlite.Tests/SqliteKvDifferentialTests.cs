using Kv.Conformance;
using Xunit.Abstractions;

namespace Kv.Sqlite.Tests;

/// <summary>The seeded differential test (10,000 operations per seed) on <see cref="SqliteKv"/> against memory.</summary>
public sealed class SqliteKvDifferentialTests(ITestOutputHelper output) : KvDifferentialTests(output)
{
    protected override string BackendName => "sqlite";

    protected override IKvTestBackend CreateBackend() => new SqliteTestBackend();
}
