using System.Text;
using CustomerService.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CustomerService.ChatLoad;

/// <summary>
/// Mints tokens for synthetic agents and visitors with the local dev signing key, so a load run can have as many
/// agents as it needs without seeding accounts. Only for local runs: the key is the one `make run` generated.
/// </summary>
public sealed class Tokens(string signingKeyFile)
{
    private readonly SigningCredentials _credentials = new(
        new SymmetricSecurityKey(Convert.FromBase64String(File.ReadAllText(signingKeyFile).Trim())), SecurityAlgorithms.HmacSha256);
    private readonly JsonWebTokenHandler _handler = new();

    /// <param name="skills">An agent's skill groups (Session's default, general, without).</param>
    public string For(string tenant, string subject, string role, string name, string[]? skills = null)
    {
        var claims = new Dictionary<string, object>
        {
            [PlatformClaims.Subject] = subject,
            [PlatformClaims.Tenant] = tenant,
            [PlatformClaims.Role] = role,
            [PlatformClaims.Name] = name,
        };
        if (skills is { Length: > 0 }) claims[PlatformClaims.SkillGroups] = skills;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = PlatformClaims.Issuer,
            Audience = PlatformClaims.Audience,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = _credentials,
            Claims = claims,
        });
    }
}
