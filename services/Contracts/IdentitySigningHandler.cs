using System.Net.Http.Headers;

namespace CustomerService.Contracts;

/// <summary>
/// For a caller inside the platform that sends identity headers to a service (the gateway signs its own in its proxy
/// transform): signs the X-CS-* identity headers of every request as it leaves, so a client can keep them in its
/// DefaultRequestHeaders however long it lives. A request without identity headers goes out unsigned.
/// </summary>
public sealed class IdentitySigningHandler : DelegatingHandler
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    /// <param name="inner">The handler that sends; leave it null where a factory chains the handler (HttpClientFactory, WebApplicationFactory).</param>
    public IdentitySigningHandler(byte[] key, TimeProvider time, HttpMessageHandler? inner = null)
    {
        if (key.Length < IdentitySignature.MinimumKeyBytes)
            throw new ArgumentException($"The internal key has {key.Length} bytes; at least {IdentitySignature.MinimumKeyBytes} are needed.", nameof(key));
        _key = key;
        _time = time;
        if (inner is not null) InnerHandler = inner;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sign(request.Headers, _key, _time.GetUtcNow());
        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>Sets <see cref="IdentitySignature.Header"/> over the identity headers in <paramref name="headers"/>, or removes it when there are none.</summary>
    /// <exception cref="InvalidOperationException">An identity header has more than one value.</exception>
    public static void Sign(HttpRequestHeaders headers, ReadOnlySpan<byte> key, DateTimeOffset now)
    {
        headers.Remove(IdentitySignature.Header);
        var identity = new IdentityHeaderValues(Value(headers, IdentityHeaders.Tenant), Value(headers, IdentityHeaders.User),
            Value(headers, IdentityHeaders.Role), Value(headers, IdentityHeaders.Name), Value(headers, IdentityHeaders.SkillGroups),
            Value(headers, IdentityHeaders.TokenVersion));
        if (identity.Any) headers.TryAddWithoutValidation(IdentitySignature.Header, IdentitySignature.Sign(key, identity, now));
    }

    private static string? Value(HttpRequestHeaders headers, string name)
    {
        if (!headers.NonValidated.TryGetValues(name, out var values)) return null;
        // Several values would reach the service joined by the client's separator: sign one value per header only.
        if (values.Count > 1) throw new InvalidOperationException($"{name} has {values.Count} values; an identity header carries one.");
        return values.ToString();
    }
}
