using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace CustomerService.Gateway.Limits;

/// <summary>
/// YARP relays an upgraded connection as an opaque byte stream. This puts a frame reader on the client's side of
/// that stream (HTTP/1.1 upgrade and HTTP/2 extended CONNECT alike), so an oversized frame is stopped here.
/// </summary>
internal sealed partial class WebSocketFrameLimitMiddleware(RequestDelegate next, IOptions<RequestLimits> limits, ILogger<WebSocketFrameLimitMiddleware> logger)
{
    private readonly long _maxFrameBytes = limits.Value.MaxWebSocketFrameBytes;

    public Task InvokeAsync(HttpContext context)
    {
        var features = context.Features;
        if (features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            features.Set<IHttpUpgradeFeature>(new LimitedUpgrade(upgrade, this, context));
        else if (features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
            features.Set<IHttpExtendedConnectFeature>(new LimitedExtendedConnect(connect, this, context));
        return next(context);
    }

    private Stream Limit(Stream client, HttpContext context) =>
        new FrameLimitedStream(client, _maxFrameBytes, size => LogFrameTooLarge(context.Connection.RemoteIpAddress?.ToString(), context.Request.Path, size, _maxFrameBytes));

    private sealed class LimitedUpgrade(IHttpUpgradeFeature inner, WebSocketFrameLimitMiddleware owner, HttpContext context) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;
        public async Task<Stream> UpgradeAsync() => owner.Limit(await inner.UpgradeAsync(), context);
    }

    private sealed class LimitedExtendedConnect(IHttpExtendedConnectFeature inner, WebSocketFrameLimitMiddleware owner, HttpContext context)
        : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;
        public string? Protocol => inner.Protocol;
        public async ValueTask<Stream> AcceptAsync() => owner.Limit(await inner.AcceptAsync(), context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "WebSocket from {Client} on {Path} cut: a frame of {Size} bytes exceeds the limit of {Limit}")]
    private partial void LogFrameTooLarge(string? client, string path, ulong size, long limit);
}

public static class WebSocketFrameLimitExtensions
{
    public static IApplicationBuilder UseWebSocketFrameLimit(this IApplicationBuilder app) => app.UseMiddleware<WebSocketFrameLimitMiddleware>();
}
