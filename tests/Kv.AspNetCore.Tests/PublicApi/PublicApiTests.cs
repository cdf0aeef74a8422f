using System.Reflection;
using System.Text;

namespace Kv.AspNetCore.Tests.PublicApi;

/// <summary>
/// Holds each package's public API to the list checked in beside its project (<c>src/&lt;project&gt;/PublicAPI.txt</c>),
/// as ASP.NET Core's <c>PublicAPI.Shipped.txt</c> does: a change to the public surface fails this test until the
/// list is updated in the same commit, so every API change is a visible diff. To accept an intended change, run
/// the tests with <c>KV_ACCEPT_PUBLIC_API=1</c> and review the diff of the rewritten lists.
/// </summary>
public sealed class PublicApiTests
{
    public static TheoryData<string> Packages =>
    [
        typeof(KvAdaptor).Assembly.GetName().Name!,
        typeof(Microsoft.Extensions.DependencyInjection.KvServiceCollectionExtensions).Assembly.GetName().Name!,
        typeof(MemoryKv).Assembly.GetName().Name!,
        typeof(RedisKv).Assembly.GetName().Name!,
        typeof(SqliteKv).Assembly.GetName().Name!,
        typeof(KvDistributedCache).Assembly.GetName().Name!,
    ];

    [Theory]
    [MemberData(nameof(Packages))]
    public void The_public_API_matches_the_checked_in_list(string assemblyName)
    {
        Assembly assembly = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == assemblyName);
        string actual = PublicApiListing.Describe(assembly);
        string path = Path.Combine(RepositoryRoot(), "src", assemblyName, "PublicAPI.txt");

        if (Environment.GetEnvironmentVariable("KV_ACCEPT_PUBLIC_API") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run the tests with KV_ACCEPT_PUBLIC_API=1 to create it.");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        string[] added = [.. actual.Split('\n').Except(expected.Split('\n'))];
        string[] removed = [.. expected.Split('\n').Except(actual.Split('\n'))];
        Assert.True(
            added.Length == 0 && removed.Length == 0,
            $"The public API of {assemblyName} changed. If intended, run the tests with KV_ACCEPT_PUBLIC_API=1.\n"
            + "Added:\n  " + string.Join("\n  ", added) + "\nRemoved:\n  " + string.Join("\n  ", removed));
    }

    [Fact]
    public void The_listing_sees_members_and_signatures()
    {
        string listing = PublicApiListing.Describe(typeof(KvAdaptor).Assembly);

        Assert.Contains("abstract class Kv.KvAdaptor", listing, StringComparison.Ordinal);
        Assert.Contains(
            "  public abstract ValueTask<Int64> CollectExpiredAsync(CancellationToken cancellationToken)",
            listing,
            StringComparison.Ordinal);
        Assert.DoesNotContain("Kv.Internal.", listing, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kv.Extensions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Kv.Extensions.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Writes an assembly's public and protected surface as sorted text lines, one member a line.</summary>
internal static class PublicApiListing
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Describe(Assembly assembly)
    {
        var lines = new StringBuilder();
        foreach (Type type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Append(TypeHeader(type)).Append('\n');
            foreach (string member in Members(type).Order(StringComparer.Ordinal))
            {
                lines.Append("  ").Append(member).Append('\n');
            }
        }

        return lines.ToString();
    }

    private static string TypeHeader(Type type)
    {
        string kind = type switch
        {
            { IsInterface: true } => "interface",
            { IsEnum: true } => "enum",
            { IsValueType: true } => "struct",
            { IsAbstract: true, IsSealed: true } => "static class",
            { IsAbstract: true } => "abstract class",
            { IsSealed: true } => "sealed class",
            _ => "class",
        };
        var bases = new List<string>();
        if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType) && baseType != typeof(Enum))
        {
            bases.Add(Name(baseType));
        }

        bases.AddRange(type.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
        return $"{kind} {type.Namespace}.{Name(type)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : string.Empty);
    }

    private static IEnumerable<string> Members(Type type)
    {
        foreach (ConstructorInfo ctor in type.GetConstructors(Declared).Where(c => Visible(c)))
        {
            yield return $"{Access(ctor)} .ctor({Parameters(ctor)})";
        }

        foreach (MethodInfo method in type.GetMethods(Declared).Where(m => Visible(m) && !m.IsSpecialName))
        {
            string generic = method.IsGenericMethod ? "<" + string.Join(", ", method.GetGenericArguments().Select(Name)) + ">" : string.Empty;
            yield return $"{Access(method)}{Modifiers(method)} {Name(method.ReturnType)} {method.Name}{generic}({Parameters(method)})";
        }

        foreach (PropertyInfo property in type.GetProperties(Declared))
        {
            MethodInfo? getter = property.GetMethod is { } g && Visible(g) ? g : null;
            MethodInfo? setter = property.SetMethod is { } s && Visible(s) ? s : null;
            if ((getter ?? setter) is not { } accessor)
            {
                continue;
            }

            bool init = setter?.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") == true;
            string accessors = (getter is null ? string.Empty : "get; ") + (setter is null ? string.Empty : init ? "init; " : "set; ");
            yield return $"{Access(accessor)}{Modifiers(accessor)} {Name(property.PropertyType)} {property.Name} {{ {accessors}}}";
        }

        foreach (FieldInfo field in type.GetFields(Declared).Where(f => (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName))
        {
            string modifier = field.IsLiteral ? " const" : field.IsStatic ? " static" : string.Empty;
            string value = field.IsLiteral ? " = " + field.GetRawConstantValue() : string.Empty;
            yield return $"{(field.IsPublic ? "public" : "protected")}{modifier} {Name(field.FieldType)} {field.Name}{value}";
        }

        foreach (EventInfo @event in type.GetEvents(Declared).Where(e => e.AddMethod is { } add && Visible(add)))
        {
            yield return $"{Access(@event.AddMethod!)} event {Name(@event.EventHandlerType!)} {@event.Name}";
        }
    }

    private static bool Visible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    private static string Access(MethodBase method) => method.IsPublic ? "public" : "protected";

    private static string Modifiers(MethodInfo method) =>
        method.IsStatic ? " static"
        : method.IsAbstract ? " abstract"
        : method.IsVirtual && !method.IsFinal && method.GetBaseDefinition() == method ? " virtual"
        : method.IsVirtual && method.GetBaseDefinition() != method ? " override"
        : string.Empty;

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}"));

    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        if (type.IsByRef)
        {
            return "ref " + Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (!type.IsGenericType)
        {
            return type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : type.Name;
        }

        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return name + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
    }
}
