namespace CustomerService.Contracts;

/// <summary>
/// Who is calling, as the gateway tells the services behind it. The gateway validates the JWT, strips any of
/// these headers a client sent, and sets them from the token's claims; services trust only these.
/// </summary>
public static class IdentityHeaders
{
    public const string Tenant = "X-CS-Tenant";
    public const string User = "X-CS-User";
    public const string Role = "X-CS-Role";
    public const string Name = "X-CS-Name";
    /// <summary>An agent's skill groups, comma-separated.</summary>
    public const string SkillGroups = "X-CS-Skills";

    public static readonly string[] All = [Tenant, User, Role, Name, SkillGroups];
}

/// <summary>JWT claims and roles issued by Admin and validated by the gateway.</summary>
public static class PlatformClaims
{
    public const string Issuer = "customer-service";
    public const string Audience = "customer-service";

    public const string Subject = "sub";     // agent id, admin id or visitor id
    public const string Tenant = "tenant";
    public const string Role = "role";
    public const string Name = "name";
    public const string SkillGroups = "skills";

    /// <summary>Configuration key of the HMAC-SHA256 signing key (base64, at least 32 bytes).</summary>
    public const string SigningKeyConfig = "Auth:SigningKey";
}

public static class Roles
{
    public const string Admin = "admin";
    public const string Supervisor = "supervisor";
    public const string Agent = "agent";
    public const string Visitor = "visitor";
}
