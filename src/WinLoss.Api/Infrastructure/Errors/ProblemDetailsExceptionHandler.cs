using System.Data.Common;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using WinLoss.Api.Infrastructure.Database;

namespace WinLoss.Api.Infrastructure.Errors;

/// <summary>Maps every exception to RFC 9457 problem+json. Never leaks a stack trace or exception message for 500s.</summary>
public sealed class ProblemDetailsExceptionHandler(
    IProblemDetailsService problems, StorageHealth storage, ILogger<ProblemDetailsExceptionHandler> logger)
    : IExceptionHandler
{
    /// <summary>Retry-After when the database is unreachable: a restart of PostgreSQL takes a few seconds.</summary>
    public const int DatabaseRetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // A SQLite error while the disk is known to be full is that fault too: after SQLITE_FULL, SQLite may have rolled the
        // transaction back itself, and the writer's own "ROLLBACK TO" then fails with "no transaction is active", which is
        // what the other jobs of the batch see.
        var diskFull = exception is StorageFullException || StorageHealth.IsDiskFull(exception)
            || (exception is Microsoft.Data.Sqlite.SqliteException && storage.Problem() is not null);
        // The database cannot be reached or is restarting (PostgreSQL), or a write kept losing conflicts: nothing was
        // written (the transaction did not commit); the request is safe to repeat.
        var unavailable = !diskFull && (Dialect.IsUnavailable(exception) || Dialect.IsRetryable(exception));
        if (unavailable) context.Response.Headers.RetryAfter = DatabaseRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (diskFull)
        {
            storage.MarkFull();
            context.Response.Headers.RetryAfter = StorageHealth.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        // A problem that says when to come back (e.g. the read side still loading at start) carries Retry-After.
        if (exception is ProblemException { Status: StatusCodes.Status503ServiceUnavailable } comeBack
            && comeBack.Extensions.TryGetValue("retryAfterSeconds", out var seconds) && seconds is int retryAfter)
            context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ProblemDetails problem = exception switch
        {
            ValidationException v => Validation(v),
            ProblemException p => FromProblem(p),
            _ when diskFull => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Storage full",
                Detail = "The server's disk is full: nothing was stored. Retry later (see Retry-After); the request is safe to repeat.",
            },
            _ when unavailable => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Database unavailable",
                Detail = "The database could not be reached or is restarting: nothing was stored. Retry later (see Retry-After); the request is safe to repeat.",
            },
            BadHttpRequestException b => new ProblemDetails
            {
                Status = b.StatusCode,
                Title = b.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Payload too large" : "Bad request",
                Detail = b.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request could not be read.",
            },
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => new ProblemDetails
            {
                Status = 499, Title = "Client closed request",
            },
            _ => new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Internal server error",
                Detail = "An unexpected error occurred. It has been logged.",
            },
        };
        if (unavailable)
            logger.LogWarning(exception, "Database unavailable for {Method} {Path}", context.Request.Method, context.Request.Path);
        else if (diskFull)
            logger.LogWarning(exception, "Disk full for {Method} {Path}", context.Request.Method, context.Request.Path);
        else if (problem.Status >= 500)
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);

        context.Response.StatusCode = problem.Status ?? 500;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static HttpValidationProblemDetails Validation(ValidationException exception)
    {
        var errors = exception.Errors
            .GroupBy(e => e.CustomState == Invalid.VerbatimPath ? e.PropertyName : ToCamelPath(e.PropertyName), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray(), StringComparer.Ordinal);
        return new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more fields are invalid.",
            Detail = string.Join(" ", errors.Select(e => $"{e.Key}: {e.Value[0]}")),
        };
    }

    private static ProblemDetails FromProblem(ProblemException p)
    {
        var problem = new ProblemDetails { Status = p.Status, Title = p.Title, Detail = p.Detail };
        foreach (var (key, value) in p.Extensions) problem.Extensions[key] = value;
        return problem;
    }

    /// <summary>FluentValidation names nested members "Objections[2].Category"; the API speaks camelCase JSON paths.</summary>
    public static string ToCamelPath(string path)
    {
        if (string.IsNullOrEmpty(path)) return "$";
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
            if (parts[i].Length > 0 && char.IsUpper(parts[i][0]))
                parts[i] = char.ToLowerInvariant(parts[i][0]) + parts[i][1..];
        return string.Join('.', parts);
    }
}
