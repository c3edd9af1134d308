namespace CustomerService.Contracts;

/// <summary>
/// Who is calling, as the gateway tells the services behind it. The gateway validates the JWT, strips any of
/// these headers a client sent, sets them from the token's claims and signs them (<see cref="IdentitySignature"/>);
/// services believe them only with a valid signature.
/// </summary>
public static class IdentityHeaders
{
    public const string Tenant = "X-CS-Tenant";
    public const string User = "X-CS-User";
    public const string Role = "X-CS-Role";
    public const string Name = "X-CS-Name";
    /// <summary>An agent's skill groups, comma-separated.</summary>
    public const string SkillGroups = "X-CS-Skills";
    /// <summary>
    /// The token's <c>ver</c> claim (absent for visitors and for tokens issued before versions existed): Session closes
    /// an account's sockets opened with a version its revocation outdates.
    /// </summary>
    public const string TokenVersion = "X-CS-Token-Version";

    /// <summary>Every identity header, in the order <see cref="IdentitySignature.Canonical"/> signs them.</summary>
    public static readonly string[] All = [Tenant, User, Role, Name, SkillGroups, TokenVersion];
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
    /// <summary>
    /// The account's token version when the token was issued (accounts only). Admin raises it on a role change,
    /// deactivation, deletion, password reset or logout; a token below the announced minimum is revoked. A token
    /// without it counts as version 0.
    /// </summary>
    public const string TokenVersion = "ver";

    /// <summary>Configuration key of the HMAC-SHA256 signing key (base64, at least 32 bytes).</summary>
    public const string SigningKeyConfig = "Auth:SigningKey";

    /// <summary>
    /// Configuration key of the other keys the gateway accepts tokens signed with (base64, comma-separated): the
    /// one being rotated out, or in, during a key rotation (docs/auth.md, "Rotating the signing key"). Admin never signs with them.
    /// </summary>
    public const string AcceptedSigningKeysConfig = "Auth:AcceptedSigningKeys";

    /// <summary>
    /// A signing key's id, the <c>kid</c> header of the tokens it signs: the first 12 characters of the base64url
    /// SHA-256 of the key. It names the key without revealing it, and the gateway picks the key by it.
    /// </summary>
    public static string KeyId(ReadOnlySpan<byte> key) =>
        Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(key))[..12].Replace('+', '-').Replace('/', '_');
}

public static class Roles
{
    public const string Admin = "admin";
    public const string Supervisor = "supervisor";
    public const string Agent = "agent";
    public const string Visitor = "visitor";
}
