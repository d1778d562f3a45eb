using System.Data.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using WinLoss.Api.Infrastructure.Database;
using WinLoss.Api.Infrastructure.Errors;

namespace WinLoss.Api.Features.Health;

/// <summary>Liveness (the process answers) and readiness (database reachable, schema current, disk not full: see <see cref="StorageHealth"/>).</summary>
public static class HealthEndpoints
{
    public sealed record HealthStatus(string Status, string? Detail = null);

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health").AllowAnonymous();
        group.MapGet("/live", () => TypedResults.Ok(new HealthStatus("live"))).WithName("Live").WithSummary("The process is running");
        group.MapGet("/ready", Ready).WithName("Ready").WithSummary("Database reachable and schema current");
    }

    private static async Task<Results<Ok<HealthStatus>, JsonHttpResult<HealthStatus>>> Ready(Db db, StorageHealth storage, HttpContext http, CancellationToken cancellationToken)
    {
        if (storage.Problem() is { } full)
        {
            http.Response.Headers.RetryAfter = StorageHealth.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Json(new HealthStatus("not_ready", full), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            if (await Migrator.IsCurrentAsync(connection, cancellationToken)) return TypedResults.Ok(new HealthStatus("ready"));
            return TypedResults.Json(new HealthStatus("not_ready", "schema is not current"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception ex) when (ex is DbException or IOException or TimeoutException || Dialect.IsUnavailable(ex))
        {
            return TypedResults.Json(new HealthStatus("not_ready", "database unreachable"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
