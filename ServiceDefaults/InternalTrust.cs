using CustomerService.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The deployment's internal key (<c>Auth:InternalKey</c>, base64, at least 32 bytes): the gateway signs the
/// identity headers it sets with it, every service checks them with it. Never committed: the AppHost generates one
/// for local runs and passes the <c>internal-identity-key</c> parameter in the manifest. During a rotation a service
/// also accepts the keys of <c>Auth:AcceptedInternalKeys</c> (base64, comma-separated; docs/auth.md#internal-trust).
/// </summary>
public sealed class InternalKey
{
    /// <summary>Configuration key of the other keys a service accepts signatures under, during a rotation.</summary>
    public const string AcceptedConfig = "Auth:AcceptedInternalKeys";

    private InternalKey(byte[]? bytes, IReadOnlyList<byte[]> accepted) => (Bytes, Accepted) = (bytes, accepted);

    /// <summary>Null when the configuration has none: the service then accepts no identity headers at all.</summary>
    public byte[]? Bytes { get; }

    /// <summary>Keys whose signatures are accepted besides <see cref="Bytes"/> (never signed with).</summary>
    public IReadOnlyList<byte[]> Accepted { get; }

    /// <exception cref="InvalidOperationException">A key is set but not base64, or too short.</exception>
    public static InternalKey From(IConfiguration configuration)
    {
        var accepted = new List<byte[]>();
        foreach (var other in (configuration[AcceptedConfig] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            accepted.Add(TryDecode(other, out var otherKey, out var otherProblem) ? otherKey
                : throw new InvalidOperationException($"{AcceptedConfig}: " + otherProblem.Replace(IdentitySignature.KeyConfig, "a key")));
        var value = configuration[IdentitySignature.KeyConfig];
        if (string.IsNullOrWhiteSpace(value)) return new InternalKey(null, accepted);
        return TryDecode(value, out var key, out var problem) ? new InternalKey(key, accepted) : throw new InvalidOperationException(problem);
    }

    /// <summary>
    /// <paramref name="signature"/> checked under the key, then under each accepted one: valid under any is valid; else
    /// what the key itself says (or expired, when an accepted key made it but too long ago).
    /// </summary>
    public IdentitySignatureCheck Verify(string? signature, in IdentityHeaderValues identity, DateTimeOffset now)
    {
        var check = Bytes is null ? IdentitySignatureCheck.Mismatch : IdentitySignature.Verify(Bytes, signature, identity, now);
        // Missing or malformed is so under every key; only a mismatch may be another key's signature.
        if (check != IdentitySignatureCheck.Mismatch) return check;
        foreach (var other in Accepted)
            switch (IdentitySignature.Verify(other, signature, identity, now))
            {
                case IdentitySignatureCheck.Valid: return IdentitySignatureCheck.Valid;
                case IdentitySignatureCheck.Expired: check = IdentitySignatureCheck.Expired; break;
            }
        return check;
    }

    public static bool TryDecode(string? value, out byte[] key, out string problem)
    {
        key = [];
        problem = "";
        if (string.IsNullOrWhiteSpace(value))
        {
            problem = $"{IdentitySignature.KeyConfig} is missing: set it (environment Auth__InternalKey) to a base64 key of at least " +
                      $"{IdentitySignature.MinimumKeyBytes} bytes, the same for the gateway and every service. The AppHost generates one for local runs.";
            return false;
        }
        try { key = Convert.FromBase64String(value.Trim()); }
        catch (FormatException)
        {
            problem = $"{IdentitySignature.KeyConfig} is not valid base64.";
            return false;
        }
        if (key.Length >= IdentitySignature.MinimumKeyBytes) return true;
        problem = $"{IdentitySignature.KeyConfig} has {key.Length} bytes; HMAC-SHA256 needs at least {IdentitySignature.MinimumKeyBytes}.";
        return false;
    }
}

public sealed class InternalTrustOptions
{
    /// <summary>
    /// Whether requests with identity headers must carry a valid signature (every service). The gateway turns it off:
    /// it is where identity headers come from, and strips what clients send instead of refusing it.
    /// </summary>
    public bool VerifyIdentityHeaders { get; set; } = true;
}

public static class InternalTrust
{
    /// <summary>
    /// The internal key, and in front of every HTTP pipeline (an <see cref="IStartupFilter"/>, so no service can forget
    /// it) the check of <see cref="IdentitySignature"/>: a request with any X-CS-* identity header and no valid
    /// signature gets 401 and goes no further. Requests without identity headers (health, sign-in, pages) pass.
    /// </summary>
    public static TBuilder AddInternalTrust<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => InternalKey.From(services.GetRequiredService<IConfiguration>()));
        builder.Services.AddOptions<InternalTrustOptions>();
        builder.Services.AddTransient<IStartupFilter, IdentityVerificationStartup>();
        return builder;
    }
}

internal sealed class IdentityVerificationStartup(IOptions<InternalTrustOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (options.Value.VerifyIdentityHeaders) app.UseMiddleware<IdentityVerification>();
        next(app);
    };
}

internal sealed partial class IdentityVerification
{
    private readonly RequestDelegate _next;
    private readonly InternalKey _key;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public IdentityVerification(RequestDelegate next, InternalKey key, TimeProvider time, ILogger<IdentityVerification> logger)
    {
        _next = next;
        _key = key;
        _time = time;
        _logger = logger;
        if (key.Bytes is null) LogNoKey(logger);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        var identity = new IdentityHeaderValues(headers[IdentityHeaders.Tenant].ToString(), headers[IdentityHeaders.User].ToString(),
            headers[IdentityHeaders.Role].ToString(), headers[IdentityHeaders.Name].ToString(), headers[IdentityHeaders.SkillGroups].ToString(),
            headers[IdentityHeaders.TokenVersion].ToString());
        if (!identity.Any) return _next(context);
        var check = _key.Bytes is null
            ? (IdentitySignatureCheck?)null
            : _key.Verify(headers[IdentitySignature.Header].ToString(), identity, _time.GetUtcNow());
        if (check == IdentitySignatureCheck.Valid) return _next(context);

        var reason = check?.ToString().ToLowerInvariant() ?? "no_key";
        LogRefused(_logger, context.Connection.RemoteIpAddress?.ToString(), context.Request.Path.Value, reason);
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Identity not verified", detail: Detail(check),
            extensions: new Dictionary<string, object?> { ["reason"] = reason }).ExecuteAsync(context);
    }

    private static string Detail(IdentitySignatureCheck? check) => check switch
    {
        IdentitySignatureCheck.Missing => $"X-CS-* identity headers are accepted only from the gateway, signed in {IdentitySignature.Header}; this request has no signature.",
        IdentitySignatureCheck.Malformed => $"{IdentitySignature.Header} is not t=<unix seconds>,v1=<base64url HMAC-SHA256>.",
        IdentitySignatureCheck.Mismatch => $"{IdentitySignature.Header} does not match these identity headers under this deployment's internal key ({IdentitySignature.KeyConfig}).",
        IdentitySignatureCheck.Expired => $"{IdentitySignature.Header} was made more than {IdentitySignature.Window.TotalSeconds:0} s from now: a replay, or clocks apart.",
        _ => $"This service has no internal key ({IdentitySignature.KeyConfig}), so it accepts no identity headers.",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:InternalKey is not set: every request with identity headers will get 401")]
    private static partial void LogNoKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused identity headers from {Peer} on {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string? peer, string? path, string reason);
}
