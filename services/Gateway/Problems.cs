using Microsoft.AspNetCore.Mvc;

namespace CustomerService.Gateway;

/// <summary>Errors the gateway answers itself (401, 403, 429, ...) as RFC 9457 problem documents.</summary>
internal static class Problems
{
    /// <param name="limit">Which limit refused the request (<c>sockets-per-ip</c>, ...), as the member <c>limit</c>: what a client tells apart.</param>
    public static async ValueTask WriteAsync(HttpContext http, int status, string title, string detail, string? limit = null)
    {
        http.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (limit is not null) problem.Extensions["limit"] = limit;
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }
}
