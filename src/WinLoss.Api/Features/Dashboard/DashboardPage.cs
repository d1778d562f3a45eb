namespace WinLoss.Api.Features.Dashboard;

/// <summary>
/// Marketing's dashboard (contract section 7): static files under wwwroot/app/trends/ (served by UseStaticFiles),
/// plus /app/trends and /app/trends/ answering with its index.html. All view state lives in the query string,
/// so every view has a shareable URL on the same page.
/// </summary>
public static class DashboardPage
{
    public static void MapDashboardPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/app/trends", Index).ExcludeFromDescription(); // routing also matches "/app/trends/"
    }

    private static IResult Index(IWebHostEnvironment env, HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-cache";
        return TypedResults.PhysicalFile(Path.Combine(env.WebRootPath, "app", "trends", "index.html"), "text/html; charset=utf-8");
    }
}
