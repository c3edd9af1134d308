using CustomerService.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CustomerService.Admin.Accounts;

public sealed record LoginRequest(string? Tenant, string? Login, string? Password);

public sealed record LoginResponse(
    string AccessToken, DateTimeOffset ExpiresAt, string Tenant, string AccountId, string Role, string Name, string[] SkillGroups);

/// <param name="IdentifierExpires">Unix seconds until which <paramref name="IdentifierHash"/> holds, signed with the identifier
/// (<see cref="VisitorIdentity.SignedText"/>); without it the signature never expires.</param>
/// <param name="VisitorSecret">An anonymous visitor's secret from an earlier answer: the same visitor again.</param>
/// <param name="VisitorId">Ignored since anonymous ids are derived from the secret (a known id makes nobody that visitor);
/// accepted so widgets that send it are not refused.</param>
public sealed record VisitorTokenRequest(string? SiteKey, string? VisitorId, string? Identifier, string? IdentifierHash, long? IdentifierExpires = null,
    string? VisitorSecret = null);

/// <param name="VisitorSecret">For an anonymous visitor: what the widget keeps and sends next time (never shown to staff).</param>
public sealed record VisitorTokenResponse(string AccessToken, DateTimeOffset ExpiresAt, string Tenant, string VisitorId, bool Identified,
    string? VisitorSecret = null);

/// <summary>
/// Token endpoints, reached anonymously through the gateway: password login for people who work in a tenant,
/// and visitor tokens for the web widget. Logout needs the token it ends (the gateway's identity headers).
/// </summary>
public static class AuthApi
{
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/auth");
        api.MapPost("/login", LoginAsync);
        api.MapPost("/visitor", VisitorTokenAsync);
        api.MapPost("/logout", LogoutAsync);
        return api;
    }

    /// <summary>Revokes every token of the caller's account (every device), within seconds everywhere; 204.</summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> LogoutAsync(HttpRequest request, AccountRevocations revocations,
        CancellationToken cancellationToken)
    {
        if (GatewayCaller.From(request) is not { } caller) return GatewayCaller.NotSignedIn();
        if (caller.Role == Roles.Visitor)
            return GatewayCaller.NotAllowed("Visitor tokens are not signed out: the widget simply forgets them, and they expire (Auth:VisitorTokenLifetime).");
        if (!Guid.TryParse(caller.UserId, out var accountId)) return GatewayCaller.NotSignedIn();
        await revocations.RevokeAsync(caller.TenantId, accountId, RevocationReasons.Logout, cancellationToken);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest request, PasswordLogin passwords, TokenIssuer tokens, LoginThrottle throttle, HttpContext http, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Login) || string.IsNullOrEmpty(request.Password))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["login"] = ["Login and password are required."],
            });

        var tenant = string.IsNullOrWhiteSpace(request.Tenant) ? null : request.Tenant.Trim();
        var login = request.Login.Trim();
        var source = ClientAddress(http);
        // Refused before the password is hashed: guessing costs time, and the platform no PBKDF2 work.
        if (await throttle.LockedAsync(tenant, login, source, cancellationToken) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed logins",
                detail: $"Too many failed logins for this login; try again in {seconds} s.");
        }
        var account = await passwords.AuthenticateAsync(tenant, login, request.Password, cancellationToken);
        if (account is null)
        {
            await throttle.FailedAsync(tenant, login, source, cancellationToken);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Login failed",
                detail: "Unknown login or wrong password (name the tenant when the login exists in several).");
        }
        await throttle.SucceededAsync(tenant, login, source, cancellationToken);

        var token = tokens.ForAccount(account);
        return TypedResults.Ok(new LoginResponse(
            token.AccessToken, token.ExpiresAt, account.TenantId, account.Id.ToString(), account.Role, account.DisplayName, account.SkillGroups));
    }

    /// <summary>
    /// The caller's address: the last X-Forwarded-For entry (the one the gateway appended), else the connection's.
    /// Only the gateway should reach Admin (internal trust: docs/auth.md).
    /// </summary>
    internal static System.Net.IPAddress? ClientAddress(HttpContext http)
    {
        var forwarded = http.Request.Headers["X-Forwarded-For"].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return forwarded is not null && System.Net.IPAddress.TryParse(forwarded, out var address) ? address : http.Connection.RemoteIpAddress;
    }

    internal static async Task<Results<Ok<VisitorTokenResponse>, ValidationProblem, ProblemHttpResult>> VisitorTokenAsync(
        VisitorTokenRequest request, AccountStore store, TokenIssuer tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (string.IsNullOrWhiteSpace(request.SiteKey))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["siteKey"] = ["The site key is required."] });
        if (request.IdentifierHash is not null && string.IsNullOrEmpty(request.Identifier))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["identifier"] = ["identifierHash signs an identifier: send both."] });
        if (request.Identifier is { Length: > VisitorIdentity.MaxIdentifierLength })
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["identifier"] = [$"At most {VisitorIdentity.MaxIdentifierLength} characters."],
            });
        if (request.Identifier is not null && VisitorIdentity.HasControlCharacters(request.Identifier))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["identifier"] = ["No control characters."] });
        // Clamped to what a DateTimeOffset holds: a number out of range is a past or too distant expiry, not a 500.
        DateTimeOffset? expiresAt = request.IdentifierExpires is { } expires
            ? DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(expires, 0, DateTimeOffset.MaxValue.ToUnixTimeSeconds()))
            : null;
        if (expiresAt is not null && (request.Identifier is null || expiresAt > now + VisitorIdentity.LongestSignatureLifetime))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["identifierExpires"] = [$"Unix seconds, signed with an identifier, at most {VisitorIdentity.LongestSignatureLifetime.TotalDays:F0} days ahead."],
            });

        var site = await store.FindSiteAsync(request.SiteKey, cancellationToken);
        if (site is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown site key",
                detail: "No tenant has this site key: check the key in the widget's snippet.");

        if (!string.IsNullOrEmpty(request.Identifier))
        {
            var signedText = VisitorIdentity.SignedText(request.Identifier, request.IdentifierExpires);
            if (!VisitorIdentity.IsSignedByTenant(site.SecretsAt(now), signedText, request.IdentifierHash))
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Identity not verified",
                    detail: "identifierHash must be hex(HMAC-SHA256(the tenant's identity secret, identifier)), or with identifierExpires of "
                            + "identifier + \"\\n\" + identifierExpires, computed by the tenant's backend.");
            if (site.RequireExpiringIdentity && expiresAt is null)
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Identity not verified",
                    detail: "This site requires identity signatures that expire: the tenant's backend signs identifier + \"\\n\" + identifierExpires "
                            + "and sends identifierExpires with them.");
            if (expiresAt <= now)
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Identity not verified",
                    detail: "The identity signature has expired (identifierExpires): the tenant's backend signs the identifier again.");
            var identifiedId = VisitorIdentity.IdentifiedId(request.Identifier);
            var identified = tokens.ForVisitor(site.TenantId, identifiedId, request.Identifier);
            return TypedResults.Ok(new VisitorTokenResponse(identified.AccessToken, identified.ExpiresAt, site.TenantId, identifiedId, true));
        }

        // A widget coming back with its secret is the same visitor, so its conversations stay its own; anything else
        // (no secret, a malformed one, or only an id, which staff see) is a new visitor.
        var secret = VisitorIdentity.IsVisitorSecret(request.VisitorSecret) ? request.VisitorSecret! : VisitorIdentity.NewVisitorSecret();
        var visitorId = VisitorIdentity.AnonymousIdOf(site.TenantId, secret);
        var token = tokens.ForVisitor(site.TenantId, visitorId, VisitorIdentity.DefaultName(visitorId));
        return TypedResults.Ok(new VisitorTokenResponse(token.AccessToken, token.ExpiresAt, site.TenantId, visitorId, false, secret));
    }
}
