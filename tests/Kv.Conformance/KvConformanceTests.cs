using Xunit;

namespace Kv.Conformance;

/// <summary>
/// The Kv contract (KV-SPEC "Semantics"), stated once. Each backend's test project derives a sealed class from
/// this one and hands it an <see cref="IKvTestBackend"/>; every test here then runs on that backend.
/// </summary>
public abstract partial class KvConformanceTests : IAsyncLifetime
{
    protected KvConformanceTests(IKvTestBackend backend)
    {
        Backend = backend;
        Adaptor = backend.CreateAdaptor();

        // Every test works under a namespace of its own, so tests can share one server.
        RootName = "t" + Guid.NewGuid().ToString("N");
        Root = Adaptor.Namespace(RootName);
    }

    protected IKvTestBackend Backend { get; }

    protected AtomicKvAdaptor Adaptor { get; }

    /// <summary>The name of <see cref="Root"/>: take it from another adaptor to reach the same data.</summary>
    protected string RootName { get; }

    protected IAtomicKvStore Root { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Asserts that <paramref name="call"/> throws <see cref="KvException"/> with <see cref="KvErrorCode.InvalidArgument"/>.</summary>
    protected static async Task AssertInvalidArgumentAsync(Func<Task> call) =>
        Assert.Equal(KvErrorCode.InvalidArgument, (await Assert.ThrowsAsync<KvException>(call)).Code);

    public async Task DisposeAsync() => await Backend.DisposeAsync();
}
