using System.Text.Json;
using Kv;
using Microsoft.AspNetCore.Diagnostics;

namespace WebApp;

/// <summary>
/// Errors as a production ASP.NET Core app answers them: a <c>ProblemDetails</c> body (RFC 9457) with the status that
/// says whose fault it was. Client errors are 4xx; only a failed backend (503, 507) or a bug (500) is 5xx.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="BadHttpRequestException"/> (unreadable body, missing or bad Content-Type, a query value that does
/// not bind): its own status (400, 413, 415...).</item>
/// <item><see cref="JsonException"/> from reading a request body, or a body its declared charset cannot decode
/// (<see cref="System.Text.DecoderFallbackException"/>): 400.</item>
/// <item><see cref="KvException"/>: invalid key, namespace, TTL or value sent by the client 400; <c>KeyNotFound</c>
/// 404; <c>NotNumeric</c>/<c>Overflow</c> 409; <c>CapacityExceeded</c> 507; <c>StoreOperationFailed</c> and
/// <c>LockTimeout</c> 503.</item>
/// <item>Anything else is a bug: 500, with no detail in the body.</item>
/// </list>
/// A stored value a typed endpoint cannot read (<c>InvalidValue</c> raised by a read) stays 500: no client can plant
/// one, since the generic endpoint writes only under its own namespace, so it is the app's bug (a changed record
/// shape), not the client's, and hiding it behind a 4xx would tell the client to change a request that was fine.
/// </remarks>
public sealed class KvProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        (int status, string title) = Classify(exception);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = title,
                // A 500's message may describe internals; a client error's message tells the client what to fix.
                Detail = status == StatusCodes.Status500InternalServerError ? null : exception.Message,
            },
        });
    }

    /// <summary>The status and title for an exception.</summary>
    public static (int Status, string Title) Classify(Exception exception) => exception switch
    {
        BadHttpRequestException bad => (bad.StatusCode, "Bad request"),
        JsonException => (StatusCodes.Status400BadRequest, "Invalid JSON"),
        // A body that is not text in its declared charset (MVC transcodes non-UTF-8 bodies, strictly).
        System.Text.DecoderFallbackException => (StatusCodes.Status400BadRequest, "Invalid body encoding"),
        KvException kv => (Status(kv.Code), kv.Code.ToString()),
        _ => (StatusCodes.Status500InternalServerError, "Error"),
    };

    private static int Status(KvErrorCode code) => code switch
    {
        KvErrorCode.InvalidKey or KvErrorCode.InvalidNamespace or KvErrorCode.EmptyNamespace or KvErrorCode.InvalidTtl
            or KvErrorCode.InvalidValue or KvErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
        KvErrorCode.KeyNotFound => StatusCodes.Status404NotFound,
        KvErrorCode.NotNumeric or KvErrorCode.Overflow => StatusCodes.Status409Conflict,
        KvErrorCode.CapacityExceeded => StatusCodes.Status507InsufficientStorage,
        KvErrorCode.StoreOperationFailed or KvErrorCode.LockTimeout => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}

/// <summary>Registration of the sample's error handling, one call each in Program.cs.</summary>
public static class ErrorHandlingExtensions
{
    /// <summary>ProblemDetails, the exception handler, and strict JSON for minimal-API bodies.</summary>
    public static IServiceCollection AddSampleErrorHandling(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<KvProblemExceptionHandler>();
        // Minimal APIs throw BadHttpRequestException for unreadable input in every environment, so the handler above
        // answers it the same way in Development and Production (instead of a bare 400 in one and a throw in the other).
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>The exception handler, then bodies for bare 4xx/5xx statuses (404, 405, 415...).</summary>
    public static WebApplication UseSampleErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // A charset no encoding answers to would fail deep in the body reader as an InvalidOperationException (a 500):
        // it is the client's unsupported media type, 415.
        app.Use(async (context, next) =>
        {
            if (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
                && type.Charset.HasValue && type.Encoding is null)
            {
                await Results.Problem("The request's charset is not a known encoding.", statusCode: StatusCodes.Status415UnsupportedMediaType)
                    .ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }
}
