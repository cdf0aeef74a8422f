using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.RateLimiting;
using Kv;
using Microsoft.AspNetCore.HttpOverrides;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using WebApp;
using WebApp.Services;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

// One call: MemoryKv as the AtomicKvAdaptor, its hosted GC, the "Kv" meter, options from the "Kv" section.
// Keyed namespaces: a constructor takes one with [FromKeyedServices("users")] IAtomicKvStore.
IKvBuilder kv = builder.Services.AddKv()
    .AddNamespace("notes")
    .AddNamespace("users")
    .AddNamespace("flags");

// Redis by configuration alone: Kv__Provider=Redis, and the server in Kv__Redis__Configuration or in
// ConnectionStrings__Redis. Nothing below changes.
if (string.Equals(builder.Configuration["Kv:Provider"], "Redis", StringComparison.OrdinalIgnoreCase))
{
    kv.UseRedis(o => o.Configuration ??= builder.Configuration.GetConnectionString("Redis"));
}

// SQLite by configuration alone: Kv__Provider=Sqlite keeps every key across restarts in one file, data/kv.db under the
// content root (or Kv__Sqlite__Path, relative to the content root), shared by every process on the machine.
else if (string.Equals(builder.Configuration["Kv:Provider"], "Sqlite", StringComparison.OrdinalIgnoreCase))
{
    kv.UseSqlite(o =>
    {
        if (o.ConnectionString is null)
        {
            o.Path = Path.Combine(builder.Environment.ContentRootPath, o.Path ?? Path.Combine("data", "kv.db"));
        }
    });
}

// Distributed locks (namespace "locks", options from "Kv:Locks"), session state on Kv (namespace "sessions"),
// and a health check that pings the backend.
builder.Services.AddKvDistributedLocks();
builder.Services.AddKvDistributedCache(o => o.Namespace = "sessions");
builder.Services.AddSession(o =>
{
    o.IdleTimeout = TimeSpan.FromMinutes(20);
    o.Cookie.Name = ".WebApp.Session";
    o.Cookie.IsEssential = true;
});
builder.Services.AddHealthChecks().AddKv();
builder.Services.AddSampleScaleOut(); // output cache and HybridCache's L2 on Kv

// Behind a reverse proxy (the usual set-up for several instances sharing one Redis) every connection comes from the
// proxy, and the client's address is in X-Forwarded-For. The forwarded-headers middleware (UseForwardedHeaders below)
// believes that header only from the proxies listed in configuration: ForwardedHeaders:KnownProxies (addresses) and
// ForwardedHeaders:KnownNetworks (CIDR ranges). Both are empty by default, and then the headers are not read at all
// (the middleware would trust every sender with both lists empty): out of the box a client cannot pick its own
// address, and so its own rate-limit partition, with a header.
string[] knownProxies = builder.Configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [];
string[] knownNetworks = builder.Configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [];
builder.Services.Configure<ForwardedHeadersOptions>(o =>
{
    o.KnownProxies.Clear();
    o.KnownIPNetworks.Clear();
    foreach (string proxy in knownProxies)
    {
        o.KnownProxies.Add(IPAddress.Parse(proxy));
    }

    foreach (string network in knownNetworks)
    {
        o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
    }

    o.ForwardedHeaders = o.KnownProxies.Count + o.KnownIPNetworks.Count > 0
        ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto
        : ForwardedHeaders.None;
});

// A fixed window per client IP, counted in Kv: every instance on one Redis shares the same windows.
int permitLimit = builder.Configuration.GetValue("RateLimiting:PermitLimit", 10);
TimeSpan window = builder.Configuration.GetValue("RateLimiting:Window", TimeSpan.FromMinutes(1));
builder.Services.AddRateLimiter(o =>
{
    o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
    o.AddPolicy(Program.PerIpPolicy, context => KvRateLimitPartition.GetFixedWindowLimiter(
        context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
        context.RequestServices,
        _ => new KvFixedWindowRateLimiterOptions { PermitLimit = permitLimit, Window = window }));
    o.OnRejected = (context, _) =>
    {
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter))
        {
            context.HttpContext.Response.Headers.RetryAfter =
                ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return ValueTask.CompletedTask;
    };
});

builder.Services.AddSingleton<UserRepository>();
builder.Services.AddSingleton<CachedUserService>();
builder.Services.AddSingleton<FeatureFlagService>();
builder.Services.AddSingleton<InventoryService>();
builder.Services.AddControllers();
builder.Services.AddOpenApi();
builder.Services.AddSampleErrorHandling();

// Telemetry with OpenTelemetry. Metrics: Kv's meter ("Kv": db.client.operation.duration, hits and misses, GC, locks,
// rate limiting) and ASP.NET Core's own, served to Prometheus at /metrics (MapPrometheusScrapingEndpoint below).
// Traces: one span per Kv store operation (activity source "Kv") inside ASP.NET Core's request spans, printed to the
// console in Development only (production would add an OTLP exporter instead); outside Development nothing listens
// to the sources, so no span is even created.
OpenTelemetryBuilder telemetry = builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics
        .AddMeter(KvMetrics.MeterName)
        .AddAspNetCoreInstrumentation()
        .AddPrometheusExporter());
if (builder.Environment.IsDevelopment())
{
    telemetry.WithTracing(tracing => tracing
        .AddSource(KvTracing.ActivitySourceName)
        .AddAspNetCoreInstrumentation()
        .AddConsoleExporter());
}

WebApplication app = builder.Build();

// First, so that everything after it (the rate limiter's partition, logs) sees the client's address.
app.UseForwardedHeaders();

// Errors as ProblemDetails with the status that says whose fault it was (ErrorHandling.cs).
app.UseSampleErrorHandling();

app.UseRateLimiter();
app.UseSession();
app.UseOutputCache();

app.MapOpenApi();                 // /openapi/v1.json
app.MapHealthChecks("/health");   // 200 "Healthy" while the backend answers
app.MapControllers();

app.MapGet("/", () => Results.Text(
    """
    Kv sample. Try:
      curl -X PUT localhost:5000/kv/notes/hello -H 'Content-Type: application/json' -d '"world"'; curl localhost:5000/kv/notes/hello
      curl localhost:5000/api/users/1                      (twice: the second read comes from the cache)
      curl -X PUT localhost:5000/api/flags/dark-mode -H 'Content-Type: application/json' -d '{"enabled":true}'
      curl -X POST localhost:5000/api/inventory/widget/reserve   (a distributed lock around a read-modify-write)
      curl localhost:5000/api/limited                      (rate-limited per client IP: 429 + Retry-After past the limit)
      curl -c c.txt -b c.txt -X POST localhost:5000/api/cart/items -H 'Content-Type: application/json' -d '{"name":"book"}'
      curl localhost:5000/health; curl localhost:5000/metrics; curl localhost:5000/openapi/v1.json
    """));

// Any child namespace of "kv" and any key: the value is whatever valid JSON the client sent. The endpoint reaches only
// its own top-level namespace, so it cannot plant values the typed endpoints (users, flags, inventory, notes) or the
// locks and sessions would then fail to read.
app.MapGet("/kv/{ns}/{key}", async (string ns, string key, AtomicKvAdaptor kv, CancellationToken ct) =>
{
    KvEntry<JsonElement>? entry = await ScratchKv.Namespace(kv, ns).GetEntryAsync<JsonElement>(key, ct);
    return entry is null ? Results.NotFound() : Results.Ok(new { value = entry.Value, expiresAt = entry.ExpiresAt });
});

app.MapPut("/kv/{ns}/{key}", async (string ns, string key, JsonElement value, int? ttlSeconds, AtomicKvAdaptor kv, CancellationToken ct) =>
{
    // Text that is not valid Unicode (an escaped lone surrogate, invalid UTF-8) is refused by Kv itself with
    // InvalidValue, which the error handler answers with 400.
    KvSetOptions? options = ttlSeconds is { } seconds ? KvSetOptions.WithTtl(TimeSpan.FromSeconds(seconds)) : null;
    await ScratchKv.Namespace(kv, ns).SetAsync(key, value, options, ct);
    return Results.NoContent();
});

app.MapDelete("/kv/{ns}/{key}", async (string ns, string key, AtomicKvAdaptor kv, CancellationToken ct) =>
    await ScratchKv.Namespace(kv, ns).DeleteAsync(key, ct) ? Results.NoContent() : Results.NotFound());

// A counter: atomic increments, even under concurrent requests.
app.MapPost("/counters/{key}", async (string key, AtomicKvAdaptor kv, CancellationToken ct) =>
    Results.Ok(new { value = await kv.Namespace("counters").IncrementAsync(key, 1, null, ct) }));

// A keyed namespace, injected by name.
app.MapGet("/notes/{key}", async (string key, [FromKeyedServices("notes")] IAtomicKvStore notes, CancellationToken ct) =>
    await notes.GetAsync<string>(key, ct) is { } note ? Results.Ok(note) : Results.NotFound());

// Every metric in the Prometheus text format: Kv's (db_client_operation_duration_seconds, kv_hits_total...) and
// ASP.NET Core's (http_server_request_duration_seconds...).
app.MapPrometheusScrapingEndpoint(); // /metrics

app.Run();

/// <summary>The sample's entry point, public so tests can host it.</summary>
public partial class Program
{
    /// <summary>The rate-limiting policy of <c>/api/limited</c>.</summary>
    public const string PerIpPolicy = "per-ip";
}
