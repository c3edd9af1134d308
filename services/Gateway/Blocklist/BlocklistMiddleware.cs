namespace CustomerService.Gateway.Blocklist;

/// <summary>First in the pipeline: a blocked address gets 403 before its token is even read.</summary>
internal sealed class BlocklistMiddleware(RequestDelegate next, IpBlocklist blocklist)
{
    public Task InvokeAsync(HttpContext context) => blocklist.IsBlocked(context.Connection.RemoteIpAddress)
        ? Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Blocked", "Requests from this address are blocked.").AsTask()
        : next(context);
}
