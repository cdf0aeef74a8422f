using System.Reflection;
using Xunit;

namespace Kv.Memory.Tests;

/// <summary>Conventions the public surface keeps (KV-SPEC "Layout", STYLE.md).</summary>
public sealed class ApiConventionTests
{
    private static readonly Assembly[] Libraries = [typeof(KvAdaptor).Assembly, typeof(MemoryKv).Assembly, typeof(RedisKv).Assembly];

    public static TheoryData<string> PublicTypes()
    {
        var data = new TheoryData<string>();
        foreach (Type type in Libraries.SelectMany(a => a.GetExportedTypes()))
        {
            data.Add(type.AssemblyQualifiedName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PublicTypes))]
    public void Public_classes_are_sealed_abstract_or_static(string typeName)
    {
        Type type = Type.GetType(typeName, throwOnError: true)!;
        if (type.IsClass && !typeof(Delegate).IsAssignableFrom(type))
        {
            Assert.True(type.IsSealed || type.IsAbstract, $"{type} is an unsealed concrete public class");
        }
    }

    [Theory]
    [MemberData(nameof(PublicTypes))]
    public void Public_types_live_in_Kv_or_the_DI_namespace(string typeName)
    {
        Type type = Type.GetType(typeName, throwOnError: true)!;

        // Kv.RateLimiting holds only the rate-limit capability a backend may implement, and its plain types.
        Assert.Contains(type.Namespace, new[] { "Kv", "Microsoft.Extensions.DependencyInjection", "Kv.RateLimiting" });
    }

    [Fact]
    public void Di_extension_classes_are_named_for_their_feature()
    {
        Type[] extensions = Libraries.SelectMany(a => a.GetExportedTypes())
            .Where(t => t.Namespace == "Microsoft.Extensions.DependencyInjection")
            .ToArray();

        Assert.NotEmpty(extensions);
        Assert.All(extensions, t => Assert.EndsWith("Extensions", t.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Async_public_methods_return_ValueTask_and_take_a_cancellation_token_last()
    {
        MethodInfo[] methods = [.. typeof(IKvStore).GetMethods(), .. typeof(IAtomicKvStore).GetMethods()];

        foreach (MethodInfo method in methods.Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal)))
        {
            Type returnType = method.ReturnType.IsGenericType ? method.ReturnType.GetGenericTypeDefinition() : method.ReturnType;
            Assert.True(returnType == typeof(ValueTask) || returnType == typeof(ValueTask<>), $"{method} returns {method.ReturnType}");
            ParameterInfo last = method.GetParameters()[^1];
            Assert.Equal(typeof(CancellationToken), last.ParameterType);
            Assert.Equal("cancellationToken", last.Name);
            Assert.True(last.HasDefaultValue, $"{method}'s token has no default");
        }
    }
}
