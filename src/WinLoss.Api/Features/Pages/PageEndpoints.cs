using Microsoft.Extensions.FileProviders;

namespace WinLoss.Api.Features.Pages;

/// <summary>
/// The web pages served by the same process (docs/pages.md): the front page at /, the rep's form at /app/report and
/// the dashboard at /app/trends. Their files are static, in wwwroot (UseStaticFiles serves the assets); this maps the
/// page URLs themselves: / serves index.html, /app/NAME and /app/NAME/ serve app/NAME/index.html (asset URLs are
/// absolute), /favicon.ico the icon, and /app/NAME/sw.js, when the page has a service worker, is served with
/// Service-Worker-Allowed so the worker can control /app/NAME without the trailing slash too.
/// Pages hold no data and no secrets (they call the API with the user's key), so the routes need no authorization.
/// </summary>
public static class PageEndpoints
{
    private static readonly string[] GetHead = [HttpMethods.Get, HttpMethods.Head];

    public static void MapPageEndpoints(this WebApplication app)
    {
        var files = UseWebRootBesideTheBinary(app);
        app.MapMethods("/", GetHead, (HttpContext http) => Serve(files, "index.html", "text/html; charset=utf-8", http))
            .ExcludeFromDescription();
        app.MapMethods("/favicon.ico", GetHead, (HttpContext http) => Serve(files, "favicon.ico", "image/x-icon", http))
            .ExcludeFromDescription();
        MapPage(app, files, "report", serviceWorker: true);
        MapPage(app, files, "trends");
    }

    /// <summary>
    /// The pages must work wherever the service is started from (`dotnet path/to/WinLoss.Api.dll` from the repository
    /// root or a publish folder): when the content root has no wwwroot with the pages, serve the copy the build and
    /// publish put beside the binary (WinLoss.Api.csproj copies wwwroot to the output). Runs before the pipeline is
    /// built, so UseStaticFiles, which reads the provider when the pipeline is built, serves the same files.
    /// </summary>
    private static IFileProvider UseWebRootBesideTheBinary(WebApplication app)
    {
        var environment = app.Environment;
        if (environment.WebRootFileProvider.GetFileInfo("index.html").Exists) return environment.WebRootFileProvider;
        var beside = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!File.Exists(Path.Combine(beside, "index.html"))) return environment.WebRootFileProvider;
        environment.WebRootPath = beside;
        environment.WebRootFileProvider = new PhysicalFileProvider(beside);
        return environment.WebRootFileProvider;
    }

    private static void MapPage(WebApplication app, IFileProvider files, string name, bool serviceWorker = false)
    {
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
