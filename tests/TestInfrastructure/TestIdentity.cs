using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using CustomerService.Contracts;

namespace CustomerService.TestInfrastructure;

/// <summary>
/// The internal key of the services the tests start (<see cref="ServiceProcess"/> and <see cref="InProcessService"/>
/// pass it unless a test gives another), and the way a test speaks to a service as the gateway would: identity
/// headers signed with it.
/// </summary>
public static class TestIdentity
{
    /// <summary>New for every test run, like the key the AppHost generates.</summary>
    public static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    public static readonly string KeyBase64 = Convert.ToBase64String(Key);

    /// <summary>A client whose requests are signed as they leave (identity headers in DefaultRequestHeaders or per request).</summary>
    public static HttpClient Client(Uri baseAddress, TimeProvider? time = null) =>
        new(new IdentitySigningHandler(Key, time ?? TimeProvider.System, new SocketsHttpHandler())) { BaseAddress = baseAddress };

    /// <summary>For a factory that chains handlers itself (WebApplicationFactory.CreateDefaultClient).</summary>
    public static DelegatingHandler Signer(TimeProvider? time = null) => new IdentitySigningHandler(Key, time ?? TimeProvider.System);

    /// <summary>Signs the identity headers already set on <paramref name="headers"/>, now.</summary>
    public static void Sign(HttpRequestHeaders headers, TimeProvider? time = null) =>
        IdentitySigningHandler.Sign(headers, Key, (time ?? TimeProvider.System).GetUtcNow());

    /// <summary>Sets the identity headers of a socket's upgrade request, signed now (<paramref name="name"/> as sent: percent-encoded).</summary>
    public static void SetIdentity(ClientWebSocketOptions options, string tenant, string user, string role, string? name = null,
        string? skills = null, int? tokenVersion = null, DateTimeOffset? at = null)
    {
        var identity = new IdentityHeaderValues(tenant, user, role, name, skills, tokenVersion?.ToString());
        options.SetRequestHeader(IdentityHeaders.Tenant, tenant);
        options.SetRequestHeader(IdentityHeaders.User, user);
        options.SetRequestHeader(IdentityHeaders.Role, role);
        if (name is not null) options.SetRequestHeader(IdentityHeaders.Name, name);
        if (skills is not null) options.SetRequestHeader(IdentityHeaders.SkillGroups, skills);
        if (identity.TokenVersion is not null) options.SetRequestHeader(IdentityHeaders.TokenVersion, identity.TokenVersion);
        options.SetRequestHeader(IdentitySignature.Header, IdentitySignature.Sign(Key, identity, at ?? DateTimeOffset.UtcNow));
    }
}
