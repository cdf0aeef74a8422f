using System.Reflection;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.DependencyInjection;

/// <summary>Registration of locks and the distributed cache, and the conventions of Kv.AspNetCore's public surface.</summary>
public sealed class KvAspNetCoreServiceCollectionTests
{
    [Fact]
    public async Task AddKvDistributedCache_replaces_an_earlier_cache_and_uses_the_chosen_namespace()
    {
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddKv();
        services.AddKvDistributedCache(o => o.Namespace = "sessions");
        services.AddDistributedMemoryCache(); // TryAdd: does not take the place back.
        await using ServiceProvider provider = services.BuildServiceProvider();

        IDistributedCache cache = provider.GetRequiredService<IDistributedCache>();
        await cache.SetAsync("k", [1, 2, 3], new DistributedCacheEntryOptions());

        Assert.IsType<KvDistributedCache>(cache);
        Assert.Equal([1, 2, 3], await provider.GetRequiredService<MemoryKv>().Namespace("sessions").GetAsync<byte[]>("k"));
        Assert.Single(services, d => d.ServiceType == typeof(IDistributedCache));
    }

    [Fact]
    public async Task AddKvDistributedLocks_binds_options_from_configuration_and_registers_once()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Kv:Locks:Namespace"] = "mutex", ["Kv:Locks:Lease"] = "00:00:10" })
            .Build());
        services.AddKv();
        services.AddKvDistributedLocks();
        services.AddKvDistributedLocks();
        await using ServiceProvider provider = services.BuildServiceProvider();

        KvDistributedLockProvider locks = provider.GetRequiredService<KvDistributedLockProvider>();
        await using KvDistributedLockHandle handle = await locks.AcquireAsync("job");

        Assert.Single(services, d => d.ServiceType == typeof(KvDistributedLockProvider));
        Assert.Equal(TimeSpan.FromSeconds(10), provider.GetRequiredService<IOptions<KvDistributedLockOptions>>().Value.Lease);
        Assert.True(await provider.GetRequiredService<MemoryKv>().Namespace("mutex").ExistsAsync("job"));
    }

    [Fact]
    public void Invalid_lock_options_fail_validation()
    {
        var services = new ServiceCollection();
        services.AddKv();
        services.AddKvDistributedLocks(o => o.RenewalInterval = TimeSpan.FromMinutes(5));
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KvDistributedLockOptions>>().Value);
    }

    [Fact]
    public async Task PersistKeysToKv_keeps_the_key_ring_in_the_chosen_namespace_or_store()
    {
        var services = new ServiceCollection();
        services.AddKv();
        services.AddDataProtection().PersistKeysToKv("ring");
        await using ServiceProvider provider = services.BuildServiceProvider();
        IDataProtector protector = provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("p");

        Assert.Equal("x", protector.Unprotect(protector.Protect("x")));
        Assert.IsType<KvXmlRepository>(provider.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository);
        KvListResult ring = await provider.GetRequiredService<MemoryKv>().Namespace("ring").ListAsync();
        Assert.StartsWith("key-", Assert.Single(ring.Keys).Name, StringComparison.Ordinal);

        var other = new MemoryKv(new MemoryKvOptions());
        var factoryServices = new ServiceCollection();
        factoryServices.AddLogging();
        factoryServices.AddDataProtection().PersistKeysToKv(_ => other.Namespace("elsewhere"));
        await using ServiceProvider factoryProvider = factoryServices.BuildServiceProvider();
        factoryProvider.GetRequiredService<IDataProtectionProvider>().CreateProtector("p").Protect("y");
        Assert.Single((await other.Namespace("elsewhere").ListAsync()).Keys);
    }

    [Fact]
    public void PersistKeysToKv_refuses_an_invalid_namespace_at_registration()
    {
        IDataProtectionBuilder builder = new ServiceCollection().AddDataProtection();
        Assert.Equal(KvErrorCode.EmptyNamespace, Assert.Throws<KvException>(() => builder.PersistKeysToKv(" ")).Code);
        Assert.Equal(KvErrorCode.InvalidNamespace, Assert.Throws<KvException>(() => builder.PersistKeysToKv("a:b")).Code);
        Assert.Throws<ArgumentNullException>(() => builder.PersistKeysToKv((Func<IServiceProvider, IKvStore>)null!));
    }

    public static TheoryData<string> PublicTypes()
    {
        var data = new TheoryData<string>();
        foreach (Type type in typeof(KvDistributedCache).Assembly.GetExportedTypes())
        {
            data.Add(type.AssemblyQualifiedName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PublicTypes))]
    public void Public_types_are_sealed_abstract_or_static_in_Kv_or_the_DI_namespace(string typeName)
    {
        Type type = Type.GetType(typeName, throwOnError: true)!;

        Assert.Contains(type.Namespace, new[] { "Kv", "Microsoft.Extensions.DependencyInjection" });
        if (type.IsClass)
        {
            Assert.True(type.IsSealed || type.IsAbstract, $"{type} is an unsealed concrete public class");
        }

        if (type.Namespace == "Microsoft.Extensions.DependencyInjection")
        {
            Assert.EndsWith("Extensions", type.Name, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Async_methods_of_the_lock_and_cache_take_a_cancellation_token_last()
    {
        MethodInfo[] methods = [.. typeof(KvDistributedLockProvider).GetMethods(), .. typeof(KvAdaptor).GetMethods()];

        foreach (MethodInfo method in methods.Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal) && m.DeclaringType != typeof(object)))
        {
            ParameterInfo last = method.GetParameters()[^1];
            Assert.Equal(typeof(CancellationToken), last.ParameterType);
            Assert.True(last.HasDefaultValue, $"{method}'s token has no default");
        }
    }
}
