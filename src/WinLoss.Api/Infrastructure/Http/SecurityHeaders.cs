namespace WinLoss.Api.Infrastructure.Http;

/// <summary>
/// Security headers on every response (set when the headers are sent, so error responses get them too):
/// nosniff, no referrer, no framing, and a Content-Security-Policy that allows only this origin's own
/// scripts, styles and connections (the pages under /app ship their own .js/.css; no inline code).
/// Swagger UI gets the same policy plus inline styles and data: images, which it needs to render.
/// API responses are never stored by caches (the data is sensitive).
/// </summary>
public static class SecurityHeaders
{
    public const string PageCsp =
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public const string SwaggerCsp =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            http.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                if (!headers.ContainsKey("Content-Security-Policy"))
                    headers.ContentSecurityPolicy = http.Request.Path.StartsWithSegments("/swagger") ? SwaggerCsp : PageCsp;
                if (http.Request.Path.StartsWithSegments("/api")) headers.CacheControl = "no-store";
                return Task.CompletedTask;
            }, http);
            return next(http);
        });
}
