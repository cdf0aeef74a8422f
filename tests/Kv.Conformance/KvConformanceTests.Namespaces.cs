using Xunit;

namespace Kv.Conformance;

public abstract partial class KvConformanceTests
{
    public static TheoryData<string, KvErrorCode> InvalidNamespaceNames => new()
    {
        { "", KvErrorCode.EmptyNamespace },
        { " ", KvErrorCode.EmptyNamespace },
        { " \t ", KvErrorCode.EmptyNamespace },
        { "a:b", KvErrorCode.InvalidNamespace },
        { ":", KvErrorCode.InvalidNamespace },
        { "__internal", KvErrorCode.InvalidNamespace },
        { "line\nbreak", KvErrorCode.InvalidNamespace },
        { "nul\0", KvErrorCode.InvalidNamespace },
        { "lone\ud800", KvErrorCode.InvalidNamespace },
        { new string('n', 256), KvErrorCode.InvalidNamespace },
    };

    public static TheoryData<string> ValidNamespaceNames => new()
    {
        "sessions",
        "with space",
        "tenant/1",
        "a@b$c%d!",
        "🚀",
        "{tag}",
        new string('n', 255),
    };

    [Theory]
    [MemberData(nameof(InvalidNamespaceNames), DisableDiscoveryEnumeration = true)]
    public void Invalid_namespace_name_is_rejected_on_the_adaptor_and_on_a_store(string name, KvErrorCode expected)
    {
        Assert.Equal(expected, Assert.Throws<KvException>(() => Adaptor.Namespace(name)).Code);
        Assert.Equal(expected, Assert.Throws<KvException>(() => Root.Namespace(name)).Code);
        Assert.Equal(expected, Assert.Throws<KvException>(() => ((IKvStore)Root).Namespace(name)).Code);
    }

    [Fact]
    public void Null_namespace_name_throws_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => Adaptor.Namespace(null!));
        Assert.Throws<ArgumentNullException>(() => Root.Namespace(null!));
    }

    [Theory]
    [MemberData(nameof(ValidNamespaceNames))]
    public async Task Valid_namespace_name_works(string name)
    {
        IAtomicKvStore store = Root.Namespace(name);
        await store.SetAsync("k", name);

        Assert.Equal(name, await store.GetAsync<string>("k"));
        Assert.Equal(name, await Root.Namespace(name).GetAsync<string>("k"));
    }

    [Fact]
    public async Task Namespace_a_key_b_colon_c_and_namespace_a_b_key_c_are_different_entries()
    {
        IAtomicKvStore a = Root.Namespace("a");
        IAtomicKvStore ab = a.Namespace("b");

        await a.SetAsync("b:c", "in a");
        await ab.SetAsync("c", "in a/b");

        Assert.Equal("in a", await a.GetAsync<string>("b:c"));
        Assert.Equal("in a/b", await ab.GetAsync<string>("c"));
        Assert.True(await a.DeleteAsync("b:c"));
        Assert.Equal("in a/b", await ab.GetAsync<string>("c"));
    }

    [Fact]
    public async Task Namespace_ab_and_namespace_a_b_never_meet()
    {
        IAtomicKvStore flat = Root.Namespace("ab");
        IAtomicKvStore nested = Root.Namespace("a").Namespace("b");

        await flat.SetAsync("k", 1);
        await nested.SetAsync("k", 2);

        Assert.Equal(1, await flat.GetAsync<int>("k"));
        Assert.Equal(2, await nested.GetAsync<int>("k"));
    }

    [Fact]
    public async Task Keys_that_look_like_layout_separators_stay_in_their_namespace()
    {
        IAtomicKvStore a = Root.Namespace("a");
        IAtomicKvStore ab = a.Namespace("b");

        await a.SetAsync(":b::c", "a");
        await a.SetAsync("b::c", "a2");
        await ab.SetAsync(":c", "ab");

        Assert.Equal("a", await a.GetAsync<string>(":b::c"));
        Assert.Equal("a2", await a.GetAsync<string>("b::c"));
        Assert.Equal("ab", await ab.GetAsync<string>(":c"));
        Assert.False(await ab.ExistsAsync("c"));
        Assert.False(await Root.ExistsAsync("a::b::c"));
    }

    [Fact]
    public async Task Parent_child_and_sibling_namespaces_are_isolated_for_every_operation()
    {
        IAtomicKvStore parent = Root.Namespace("parent");
        IAtomicKvStore child = parent.Namespace("child");
        IAtomicKvStore sibling = Root.Namespace("sibling");
        await parent.SetAsync("k", "parent");

        foreach (IAtomicKvStore other in new[] { child, sibling, Root })
        {
            Assert.False(await other.ExistsAsync("k"));
            Assert.Null(await other.GetAsync<string>("k"));
            Assert.Null(await other.GetEntryAsync<string>("k"));
            Assert.False(await other.DeleteAsync("k"));
            Assert.False(await other.ExpireAsync("k", TimeSpan.FromMilliseconds(1)));
        }

        Assert.Equal(5, await child.IncrementAsync("k", 5));
        Assert.True(await sibling.SetIfNotExistsAsync("k", "sibling"));

        Assert.Equal("parent", await parent.GetAsync<string>("k"));
        Assert.Null((await parent.GetEntryAsync<string>("k"))!.ExpiresAt);
        Assert.Equal(5, await child.GetAsync<long>("k"));
        Assert.Equal("sibling", await sibling.GetAsync<string>("k"));
    }

    [Fact]
    public async Task Same_namespace_path_taken_twice_is_the_same_namespace()
    {
        await Root.Namespace("x").Namespace("y").SetAsync("k", 7);

        Assert.Equal(7, await Root.Namespace("x").Namespace("y").GetAsync<int>("k"));
        Assert.Equal(7, await Backend.CreateAdaptor().Namespace(RootName).Namespace("x").Namespace("y").GetAsync<int>("k"));
    }

    [Fact]
    public async Task Nesting_is_unlimited()
    {
        IAtomicKvStore store = Root;
        for (int i = 0; i < 64; i++)
        {
            store = store.Namespace("level" + i);
        }

        await store.SetAsync("deep", true);

        Assert.True(await store.GetAsync<bool>("deep"));
    }
}
