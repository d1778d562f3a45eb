using Microsoft.Extensions.FileProviders;

namespace WinLoss.Api.Features.Pages;

/// <summary>
/// The web pages served by the same process (contract section 7). Their files are static, in wwwroot/app/NAME/
/// (UseStaticFiles serves the assets); this maps the page URL itself: /app/NAME and /app/NAME/ serve index.html
/// (its asset URLs are absolute), and /app/NAME/sw.js, when the page has a service worker, is served with
/// Service-Worker-Allowed so the worker can control /app/NAME without the trailing slash too.
/// Pages hold no data and no secrets (they call the API with the user's key), so the routes need no authorization.
/// </summary>
public static class PageEndpoints
{
    private static readonly string[] GetHead = [HttpMethods.Get, HttpMethods.Head];

    public static void MapPageEndpoints(this WebApplication app)
    {
        MapPage(app, "report", serviceWorker: true);
        MapPage(app, "trends");
    }

    private static void MapPage(WebApplication app, string name, bool serviceWorker = false)
    {
        var files = app.Environment.WebRootFileProvider;
        var path = $"/app/{name}";
        // Routing ignores a trailing slash: this one route answers /app/NAME and /app/NAME/.
        app.MapMethods(path, GetHead, (HttpContext http) => Serve(files, $"app/{name}/index.html", "text/html; charset=utf-8", http))
            .ExcludeFromDescription();
        if (serviceWorker)
        {
            app.MapMethods(path + "/sw.js", GetHead, (HttpContext http) =>
            {
                http.Response.Headers["Service-Worker-Allowed"] = path;
                return Serve(files, $"app/{name}/sw.js", "text/javascript; charset=utf-8", http);
            }).ExcludeFromDescription();
        }
    }

    private static IResult Serve(IFileProvider files, string file, string contentType, HttpContext http)
    {
        var info = files.GetFileInfo(file);
        if (!info.Exists || info.PhysicalPath is null) return TypedResults.NotFound();
        http.Response.Headers.CacheControl = "no-cache"; // always revalidate: the service worker keeps the offline copy
        return TypedResults.PhysicalFile(info.PhysicalPath, contentType, lastModified: info.LastModified);
    }
}
