using Microsoft.AspNetCore.WebUtilities;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace CustomerService.Gateway.Proxy;

/// <summary>
/// When the service behind a route cannot be reached or does not answer in time, YARP sets 502 or 504 with an
/// empty body; this says in a problem document which service failed.
/// </summary>
internal static class ProxyErrors
{
    public static async Task ExplainAsync(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested
            || context.Features.Get<IForwarderErrorFeature>() is not { } error) return;

        // YARP has chosen the status (413 for a body over the limit, 502, 504 ...); say what it means.
        var status = context.Response.StatusCode >= 400 ? context.Response.StatusCode : StatusCodes.Status502BadGateway;
        var service = context.Features.Get<IReverseProxyFeature>()?.Cluster.Config.ClusterId ?? "the service";
        var detail = status == StatusCodes.Status413PayloadTooLarge
            ? "The request body is larger than the gateway accepts."
            : error.Error switch
            {
                ForwarderError.NoAvailableDestinations => $"No instance of {service} is available.",
                ForwarderError.RequestTimedOut => $"{service} did not answer in time.",
                ForwarderError.RequestBodyClient or ForwarderError.RequestCanceled => "The request body broke off.",
                _ => $"{service} could not be reached or broke off the exchange.",
            };
        await Problems.WriteAsync(context, status, ReasonPhrases.GetReasonPhrase(status), detail);
    }

    /// <summary>YARP's default proxy pipeline, with problem documents for its failures.</summary>
    public static void Pipeline(IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(ExplainAsync);
        proxy.UseSessionAffinity();
        proxy.UseLoadBalancing();
        proxy.UsePassiveHealthChecks();
    }
}
