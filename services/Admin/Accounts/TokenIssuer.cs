using CustomerService.Contracts;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CustomerService.Admin.Accounts;

public readonly record struct IssuedToken(string AccessToken, DateTimeOffset ExpiresAt);

/// <summary>Signs the platform's JWTs (HMAC-SHA256, claims per <see cref="PlatformClaims"/>) for the gateway to check.</summary>
public sealed class TokenIssuer
{
    // Times come from the TimeProvider, not from the handler's own clock.
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _credentials;
    private readonly TokenOptions _options;
    private readonly TimeProvider _time;

    public TokenIssuer(IOptions<TokenOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        if (!TokenOptions.TryDecodeKey(_options.SigningKey, out var key, out var problem)) throw new InvalidOperationException(problem);
        // The kid names the key (PlatformClaims.KeyId) so that, while a rotation lets the gateway accept two, it checks one.
        _credentials = new SigningCredentials(new SymmetricSecurityKey(key) { KeyId = PlatformClaims.KeyId(key) }, SecurityAlgorithms.HmacSha256);
    }

    public IssuedToken ForAccount(Account account)
    {
        var claims = new Dictionary<string, object>
        {
            [PlatformClaims.Subject] = account.Id.ToString(),
            [PlatformClaims.Tenant] = account.TenantId,
            [PlatformClaims.Role] = account.Role,
            [PlatformClaims.Name] = account.DisplayName,
            [PlatformClaims.TokenVersion] = account.TokenVersion,
        };
        if (account.SkillGroups.Length > 0) claims[PlatformClaims.SkillGroups] = account.SkillGroups;
        return Issue(claims, _options.TokenLifetime);
    }

    public IssuedToken ForVisitor(string tenantId, string visitorId, string name) => Issue(new Dictionary<string, object>
    {
        [PlatformClaims.Subject] = visitorId,
        [PlatformClaims.Tenant] = tenantId,
        [PlatformClaims.Role] = Roles.Visitor,
        [PlatformClaims.Name] = name,
    }, _options.VisitorTokenLifetime);

    private IssuedToken Issue(Dictionary<string, object> claims, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        // JWT times have whole-second precision; say in the response exactly what the token says.
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        var expires = now + lifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = PlatformClaims.Issuer,
            Audience = PlatformClaims.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = _credentials,
        });
        return new IssuedToken(token, expires);
    }
}
