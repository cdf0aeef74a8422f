using System.Xml.Linq;

namespace Kv.AspNetCore.Tests.Scaleout;

/// <summary>The Data Protection repository through its own API, on MemoryKv.</summary>
public sealed class KvXmlRepositoryTests
{
    private readonly MemoryKv _kv = new(new MemoryKvOptions());

    [Fact]
    public void Stored_elements_are_read_back_by_another_repository_on_the_namespace()
    {
        var one = new KvXmlRepository(_kv.Namespace("dp"));
        one.StoreElement(new XElement("key", new XAttribute("id", "1")), "key-1");
        one.StoreElement(new XElement("key", new XAttribute("id", "2")), "key-2");

        var two = new KvXmlRepository(_kv.Namespace("dp"));
        string[] ids = [.. two.GetAllElements().Select(e => (string)e.Attribute("id")!).Order()];
        Assert.Equal(["1", "2"], ids);
    }

    [Fact]
    public void A_taken_or_unusable_friendly_name_does_not_overwrite_an_element()
    {
        var repository = new KvXmlRepository(_kv.Namespace("dp"));
        repository.StoreElement(new XElement("a"), "same");
        repository.StoreElement(new XElement("b"), "same");
        repository.StoreElement(new XElement("c"), "");

        Assert.Equal(["a", "b", "c"], [.. repository.GetAllElements().Select(e => e.Name.LocalName).Order()]);
    }
}
