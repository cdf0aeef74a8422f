using System.Globalization;
using Kv.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kv.Sqlite.Tests;

/// <summary>Refused files, a full database, backup, expiry collection and registration.</summary>
public sealed class SqliteKvFileTests : IAsyncLifetime
{
    private readonly SqliteTestBackend _backend = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task A_file_that_is_not_a_database_is_refused_and_left_unchanged()
    {
        byte[] bytes = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 7))];
        await File.WriteAllBytesAsync(_backend.Path, bytes);
        await AssertRefusedAsync(bytes, "not a SQLite database");
    }

    [Fact]
    public async Task A_truncated_database_is_refused_and_left_unchanged()
    {
        using (SqliteKv kv = _backend.CreateSqliteKv())
        {
            await kv.Namespace("n").SetManyAsync(Enumerable.Range(0, 2000).Select(i => new KeyValuePair<string, string>("k" + i.ToString(CultureInfo.InvariantCulture), new string('x', 100))));
        }

        byte[] whole = await File.ReadAllBytesAsync(_backend.Path);
        Assert.False(File.Exists(_backend.Path + "-wal"));
        byte[] truncated = whole[..(whole.Length / 2)];
        await File.WriteAllBytesAsync(_backend.Path, truncated);
        await AssertRefusedAsync(truncated, "truncated");
    }

    [Fact]
    public async Task A_database_of_a_newer_schema_is_refused_and_left_unchanged()
    {
        using (var connection = new SqliteConnection($"Data Source={_backend.Path};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"CREATE TABLE kv (x); PRAGMA user_version = {SqliteDatabase.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }

        await AssertRefusedAsync(await File.ReadAllBytesAsync(_backend.Path), "newer");
    }

    [Fact]
    public async Task A_database_of_another_application_is_refused_and_left_unchanged()
    {
        using (var connection = new SqliteConnection($"Data Source={_backend.Path};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE orders (id INTEGER PRIMARY KEY); INSERT INTO orders VALUES (1)";
            command.ExecuteNonQuery();
        }

        await AssertRefusedAsync(await File.ReadAllBytesAsync(_backend.Path), "another application");
    }

    [Fact]
    public async Task The_file_and_its_folder_are_created_on_first_use_with_the_current_schema()
    {
        string path = Path.Combine(_backend.Folder, "a", "b", "kv.db");
        using (var kv = new SqliteKv(new SqliteKvOptions { Path = path }))
        {
            Assert.False(File.Exists(path));
            await kv.Namespace("n").SetAsync("k", 1);
        }

        using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteDatabase.SchemaVersion, command.ExecuteScalar());
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public async Task A_full_database_fails_the_write_with_a_KvException_and_loses_nothing_acknowledged()
    {
        SqliteKv kv = _backend.CreateSqliteKv();
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetAsync("first", "x");

        // max_page_count makes SQLite answer SQLITE_FULL as a full disk would.
        long pages = await kv.Database.WriteAsync("Test", (lease, _) => (long)lease.Command("PRAGMA page_count").ExecuteScalar()!, CancellationToken.None);
        await kv.Database.WriteAsync("Test", (lease, _) => lease.Command(string.Create(CultureInfo.InvariantCulture, $"PRAGMA max_page_count = {pages + 20}")).ExecuteScalar(), CancellationToken.None);

        var acknowledged = new List<string>();
        KvException? failure = null;
        for (int i = 0; i < 1000 && failure is null; i++)
        {
            string key = "k" + i.ToString(CultureInfo.InvariantCulture);
            try
            {
                await store.SetAsync(key, new string('v', 3000));
                acknowledged.Add(key);
            }
            catch (KvException ex)
            {
                failure = ex;
                Assert.False(await store.ExistsAsync(key));
            }
        }

        Assert.NotNull(failure);
        Assert.Equal(KvErrorCode.StoreOperationFailed, failure.Code);
        Assert.Contains("full", failure.Message, StringComparison.Ordinal);
        Assert.NotEmpty(acknowledged);
        kv.Dispose();

        IAtomicKvStore reopened = _backend.CreateSqliteKv().Namespace("n");
        Assert.Equal("x", await reopened.GetAsync<string>("first"));
        foreach (string key in acknowledged)
        {
            Assert.Equal(3000, (await reopened.GetAsync<string>(key))!.Length);
        }
    }

    [Fact]
    public async Task An_online_backup_is_a_complete_database_while_writes_go_on()
    {
        SqliteKv kv = _backend.CreateSqliteKv();
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetManyAsync(Enumerable.Range(0, 1000).Select(i => new KeyValuePair<string, int>("k" + i.ToString(CultureInfo.InvariantCulture), i)));
        using var stop = new CancellationTokenSource();
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                await store.SetAsync("live" + (i % 50).ToString(CultureInfo.InvariantCulture), i);
            }
        });

        string backup = Path.Combine(_backend.Folder, "backup", "copy.db");
        await kv.BackupAsync(backup);
        await stop.CancelAsync();
        await writer;

        using var copy = new SqliteKv(new SqliteKvOptions { Path = backup });
        IAtomicKvStore restored = copy.Namespace("n");
        Assert.Equal(42, await restored.GetAsync<int>("k42"));
        Assert.True(await restored.CountAsync() >= 1000);
    }

    [Fact]
    public async Task Collection_deletes_expired_rows_through_the_expiry_index_and_reads_never_see_them_before()
    {
        SqliteKv kv = _backend.CreateSqliteKv();
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetManyAsync(Enumerable.Range(0, 2500).Select(i => new KeyValuePair<string, int>("t" + i.ToString(CultureInfo.InvariantCulture), i)), KvSetOptions.WithTtl(TimeSpan.FromMinutes(1)));
        await store.SetAsync("permanent", 1);
        _backend.Clock.Advance(TimeSpan.FromMinutes(1));

        Assert.False(await store.ExistsAsync("t1"));
        Assert.Equal(1, await store.CountAsync());
        Assert.Equal(2501L, await RowsAsync(kv));
        Assert.Equal(2500, await kv.CollectExpiredAsync());
        Assert.Equal(1L, await RowsAsync(kv));

        string plan = await kv.Database.WriteAsync(
            "Test",
            (lease, _) =>
            {
                using SqliteDataReader reader = lease.Command("EXPLAIN QUERY PLAN SELECT ns, key FROM kv WHERE expires_at IS NOT NULL AND expires_at <= 5 ORDER BY expires_at LIMIT 10").ExecuteReader();
                var text = new List<string>();
                while (reader.Read())
                {
                    text.Add(reader.GetString(3));
                }

                return string.Join(" | ", text);
            },
            CancellationToken.None);
        Assert.Contains("kv_expiry", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseSqlite_registers_one_adaptor_validated_at_start_with_a_health_check()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Configuration["Kv:Sqlite:Path"] = _backend.Path;
        builder.Configuration["Kv:Sqlite:Durability"] = "Normal";
        builder.Services.AddKv().UseSqlite();
        builder.Services.AddHealthChecks().AddKv();
        using IHost host = builder.Build();
        await host.StartAsync();
        SqliteKv kv = host.Services.GetRequiredService<SqliteKv>();
        Assert.Same(kv, host.Services.GetRequiredService<KvAdaptor>());
        Assert.Same(kv, host.Services.GetRequiredService<AtomicKvAdaptor>());
        Assert.Equal(SqliteDurability.Normal, kv.Durability);
        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Status);
        await host.StopAsync();

        HostApplicationBuilder invalid = Host.CreateApplicationBuilder();
        invalid.Services.AddKv().UseSqlite(o => o.GcInterval = TimeSpan.Zero);
        using IHost bad = invalid.Build();
        await Assert.ThrowsAsync<OptionsValidationException>(() => bad.StartAsync());
    }

    [Fact]
    public async Task UseSqlite_replaces_memory_and_the_one_collection_service_collects_the_file()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(_backend.Clock);
        builder.Services.AddKv().UseSqlite(o =>
        {
            o.Path = _backend.Path;
            o.GcInterval = TimeSpan.FromMinutes(1);
        });
        Assert.Single(builder.Services, d => d.ServiceType == typeof(AtomicKvAdaptor));
        Assert.Single(builder.Services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType != null && d.ImplementationType.Name == "KvCollectionService");
        using IHost host = builder.Build();
        await host.StartAsync();
        SqliteKv kv = host.Services.GetRequiredService<SqliteKv>();
        Assert.Same(kv, host.Services.GetRequiredService<KvAdaptor>());
        IAtomicKvStore store = kv.Namespace("n");
        await store.SetManyAsync(Enumerable.Range(0, 10).Select(i => KeyValuePair.Create("t" + i.ToString(CultureInfo.InvariantCulture), i)), KvSetOptions.WithTtl(TimeSpan.FromSeconds(30)));
        await store.SetAsync("permanent", 1);

        // One GC interval on the application's clock: the hosted service's pass deletes the expired rows of the file.
        _backend.Clock.Advance(TimeSpan.FromMinutes(1));
        for (int attempt = 0; attempt < 400 && await RowsAsync(kv) > 1; attempt++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(1L, await RowsAsync(kv));
        await host.StopAsync();
    }

    private async Task AssertRefusedAsync(byte[] before, string reason)
    {
        using var kv = new SqliteKv(new SqliteKvOptions { Path = _backend.Path });
        KvException failure = await Assert.ThrowsAsync<KvException>(async () => await kv.Namespace("n").SetAsync("k", 1));
        Assert.Equal(KvErrorCode.StoreOperationFailed, failure.Code);
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(_backend.Path));
        Assert.False(File.Exists(_backend.Path + "-wal"));
        Assert.False(File.Exists(_backend.Path + "-journal"));
    }

    private static Task<long> RowsAsync(SqliteKv kv) =>
        kv.Database.WriteAsync("Test", (lease, _) => (long)lease.Command("SELECT count(*) FROM kv").ExecuteScalar()!, CancellationToken.None);
}
