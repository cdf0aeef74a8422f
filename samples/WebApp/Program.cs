using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Kv;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
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
// proxy, and a per-IP limit would throttle all clients together. The forwarded-headers middleware (UseForwardedHeaders
// below) takes the client's address from X-Forwarded-For, but only on connections from a trusted proxy: loopback by
// default; add yours to KnownProxies or KnownIPNetworks. Trusting every sender would let clients pick their own IP.
builder.Services.Configure<ForwardedHeadersOptions>(o =>
    o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);

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
builder.Services.AddSingleton<KvMetricsSnapshot>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<KvMetricsSnapshot>());
builder.Services.AddControllers();
builder.Services.AddOpenApi();
builder.Services.AddProblemDetails();

WebApplication app = builder.Build();

// First, so that everything after it (the rate limiter's partition, logs) sees the client's address.
app.UseForwardedHeaders();

// Kv's errors as HTTP: bad input is the client's fault (400, or 409 for a counter that is not a number);
// a full store or a failed backend is the server's (507, 503); a lock still busy after the wait is 503 too;
// a stored value the app cannot read is a bug (500).
app.UseExceptionHandler(error => error.Run(async context =>
{
    Exception? exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
    int status = (exception as KvException)?.Code switch
    {
        KvErrorCode.InvalidKey or KvErrorCode.InvalidNamespace or KvErrorCode.EmptyNamespace or KvErrorCode.InvalidTtl
            => StatusCodes.Status400BadRequest,
        KvErrorCode.NotNumeric or KvErrorCode.Overflow => StatusCodes.Status409Conflict,
        KvErrorCode.CapacityExceeded => StatusCodes.Status507InsufficientStorage,
        KvErrorCode.StoreOperationFailed or KvErrorCode.LockTimeout => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
    context.Response.StatusCode = status;
    await Results.Problem(title: (exception as KvException)?.Code.ToString() ?? "Error", detail: exception?.Message, statusCode: status)
        .ExecuteAsync(context);
}));

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

// Any namespace and key: the value is whatever JSON the client sent.
app.MapGet("/kv/{ns}/{key}", async (string ns, string key, AtomicKvAdaptor kv, CancellationToken ct) =>
{
    KvEntry<JsonElement>? entry = await kv.Namespace(ns).GetEntryAsync<JsonElement>(key, ct);
    return entry is null ? Results.NotFound() : Results.Ok(new { value = entry.Value, expiresAt = entry.ExpiresAt });
});

app.MapPut("/kv/{ns}/{key}", async (string ns, string key, JsonElement value, int? ttlSeconds, AtomicKvAdaptor kv, CancellationToken ct) =>
{
    KvSetOptions? options = ttlSeconds is { } seconds ? KvSetOptions.WithTtl(TimeSpan.FromSeconds(seconds)) : null;
    await kv.Namespace(ns).SetAsync(key, value, options, ct);
    return Results.NoContent();
});

app.MapDelete("/kv/{ns}/{key}", async (string ns, string key, AtomicKvAdaptor kv, CancellationToken ct) =>
    await kv.Namespace(ns).DeleteAsync(key, ct) ? Results.NoContent() : Results.NotFound());

// A counter: atomic increments, even under concurrent requests.
app.MapPost("/counters/{key}", async (string key, AtomicKvAdaptor kv, CancellationToken ct) =>
    Results.Ok(new { value = await kv.Namespace("counters").IncrementAsync(key, 1, null, ct) }));

// A keyed namespace, injected by name.
app.MapGet("/notes/{key}", async (string key, [FromKeyedServices("notes")] IAtomicKvStore notes, CancellationToken ct) =>
    await notes.GetAsync<string>(key, ct) is { } note ? Results.Ok(note) : Results.NotFound());

// The Kv meter's totals so far (operations, hits/misses, GC, locks, rate limiting), per instrument and tags.
app.MapGet("/metrics", (KvMetricsSnapshot snapshot) => Results.Ok(snapshot.Read()));

app.Run();

/// <summary>The sample's entry point, public so tests can host it.</summary>
public partial class Program
{
    /// <summary>The rate-limiting policy of <c>/api/limited</c>.</summary>
    public const string PerIpPolicy = "per-ip";
}
