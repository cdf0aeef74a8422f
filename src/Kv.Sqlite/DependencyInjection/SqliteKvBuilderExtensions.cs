using Kv;
using Kv.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the SQLite backend for Kv: <c>services.AddKv().UseSqlite(o =&gt; o.Path = "data/kv.db")</c>.</summary>
public static class SqliteKvBuilderExtensions
{
    /// <summary>
    /// Makes <see cref="SqliteKv"/> the application's <see cref="AtomicKvAdaptor"/> and <see cref="KvAdaptor"/> (one
    /// instance, also registered as <see cref="SqliteKv"/>), replacing the backend chosen before (memory, by default).
    /// Options bind from the <c>Kv:Sqlite</c> configuration section and are validated at start-up. Registers the core
    /// (logging and options too), so a bare <see cref="ServiceCollection"/> is enough.
    /// </summary>
    /// <param name="builder">The Kv builder from <c>services.AddKv()</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseSqlite(this IKvBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(SqliteKvRegistrationMarker)))
        {
            services.AddSingleton<SqliteKvRegistrationMarker>();
            builder.AddKvOptions<SqliteKvOptions>(SqliteKvOptions.SectionName);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteKvOptions>, SqliteKvOptionsValidator>());
            services.TryAddSingleton(sp => new SqliteKv(
                sp.GetRequiredService<IOptions<SqliteKvOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<KvValueSerializer>(),
                sp.GetService<ILoggerFactory>(),
                sp.GetService<KvMetrics>()));
        }

        return builder.UseAdaptor(sp => sp.GetRequiredService<SqliteKv>());
    }

    /// <summary>Chooses the SQLite backend as <see cref="UseSqlite(IKvBuilder)"/> does, then configures its options.</summary>
    /// <param name="builder">The Kv builder from <c>services.AddKv()</c>.</param>
    /// <param name="configure">Configures the SQLite options, after the <c>Kv:Sqlite</c> configuration section is bound.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseSqlite(this IKvBuilder builder, Action<SqliteKvOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        builder.UseSqlite();
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Chooses the SQLite backend as <see cref="UseSqlite(IKvBuilder)"/> does, then binds its options from
    /// <paramref name="configuration"/> (for example <c>configuration.GetSection("Storage:Kv")</c>).</summary>
    /// <param name="builder">The Kv builder from <c>services.AddKv()</c>.</param>
    /// <param name="configuration">The configuration section holding <see cref="SqliteKvOptions"/> keys
    /// (<c>Path</c>, <c>ConnectionString</c>, <c>GcInterval</c>, <c>Durability</c>, <c>BusyTimeout</c>, <c>MaxWritesPerTransaction</c>).</param>
    /// <returns>The builder, for chaining.</returns>
    public static IKvBuilder UseSqlite(this IKvBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        builder.UseSqlite();
        builder.Services.Configure<SqliteKvOptions>(options => configuration.Bind(options));
        return builder;
    }
}
