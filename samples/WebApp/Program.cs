using System.Text.Json;
using Kv;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

// One call: MemoryKv as the AtomicKvAdaptor, its hosted GC, options from the "Kv" section.
IKvBuilder kv = builder.Services.AddKv().AddNamespace("notes");

// Redis by configuration alone: Kv__Provider=Redis, and the server in Kv__Redis__Configuration or in
// ConnectionStrings__Redis. The code below the registration does not change.
if (string.Equals(builder.Configuration["Kv:Provider"], "Redis", StringComparison.OrdinalIgnoreCase))
{
    kv.UseRedis(o => o.Configuration ??= builder.Configuration.GetConnectionString("Redis"));
}
builder.Services.AddProblemDetails();

WebApplication app = builder.Build();

// Kv's errors as HTTP: bad input is the client's fault (400, or 409 for a counter that is not a number);
// a full store or a failed backend is the server's (507, 503); a stored value the app cannot read is a bug (500).
app.UseExceptionHandler(error => error.Run(async context =>
{
    Exception? exception = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
    int status = (exception as KvException)?.Code switch
    {
        KvErrorCode.InvalidKey or KvErrorCode.InvalidNamespace or KvErrorCode.EmptyNamespace or KvErrorCode.InvalidTtl
            => StatusCodes.Status400BadRequest,
        KvErrorCode.NotNumeric or KvErrorCode.Overflow => StatusCodes.Status409Conflict,
        KvErrorCode.CapacityExceeded => StatusCodes.Status507InsufficientStorage,
        KvErrorCode.StoreOperationFailed => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
    context.Response.StatusCode = status;
    await Results.Problem(title: (exception as KvException)?.Code.ToString() ?? "Error", detail: exception?.Message, statusCode: status)
        .ExecuteAsync(context);
}));

app.MapGet("/", () => Results.Text(
    "Kv sample. Try: curl -X PUT localhost:5000/kv/notes/hello -H 'Content-Type: application/json' -d '\"world\"'; curl localhost:5000/kv/notes/hello"));

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
app.MapGet("/notes/{key}", async (string key, [Microsoft.Extensions.DependencyInjection.FromKeyedServices("notes")] IAtomicKvStore notes, CancellationToken ct) =>
    await notes.GetAsync<string>(key, ct) is { } note ? Results.Ok(note) : Results.NotFound());

app.Run();

/// <summary>The sample's entry point, public so tests can host it.</summary>
public partial class Program;
