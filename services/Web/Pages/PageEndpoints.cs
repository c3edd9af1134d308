using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace CustomerService.Web.Pages;

/// <summary>
/// Serves the built pages from wwwroot (client/ builds them): the landing page, the demo shop, the H5 chat,
/// the agent console, the admin pages and widget.js.
/// </summary>
public static class PageEndpoints
{
    // Message text is always rendered as text; this policy is the second line: no inline or foreign script runs.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'";

    public static WebApplication MapPages(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = SetHeaders });

        // Addresses without a trailing slash (and /chat?siteKey=..., the H5 link) land on their page.
        app.MapFallbackToFile("/chat", "chat/index.html", Html());
        app.MapFallbackToFile("/console/{**path}", "console/index.html", Html());
        app.MapFallbackToFile("/admin/{**path}", "admin/index.html", Html());
        app.MapFallbackToFile("/shop/{**path}", "shop/index.html", Html());
        return app;
    }

    private static StaticFileOptions Html() => new() { OnPrepareResponse = SetHeaders };

    private static void SetHeaders(StaticFileResponseContext context)
    {
        var headers = context.Context.Response.Headers;
        var path = context.Context.Request.Path;
        if (path.StartsWithSegments("/assets"))
            headers.CacheControl = "public, max-age=31536000, immutable"; // names carry a content hash
        else if (path.Equals("/widget.js"))
        {
            // Embedded on other sites: short cache, so a new version reaches them within minutes.
            headers.CacheControl = "public, max-age=300";
            headers.AccessControlAllowOrigin = "*";
        }
        else
            headers.CacheControl = "no-cache";

        if (context.File.Name.EndsWith(".html", StringComparison.Ordinal))
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers[HeaderNames.XContentTypeOptions] = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
        }
    }
}
