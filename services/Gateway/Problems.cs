using Microsoft.AspNetCore.Mvc;

namespace CustomerService.Gateway;

/// <summary>Errors the gateway answers itself (401, 403, 429, ...) as RFC 9457 problem documents.</summary>
internal static class Problems
{
    public static async ValueTask WriteAsync(HttpContext http, int status, string title, string detail)
    {
        http.Response.StatusCode = status;
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
