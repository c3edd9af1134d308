namespace CustomerService.Admin.Accounts;

/// <summary>
/// Someone who works in a tenant: an agent, a supervisor or an administrator. <see cref="TokenVersion"/> goes into
/// every token issued to them (claim <c>ver</c>); raising it revokes the tokens issued before (AccountRevocations).
/// </summary>
public sealed record Account(
    Guid Id,
    string TenantId,
    string Login,
    string DisplayName,
    string PasswordHash,
    string Role,
    string[] SkillGroups,
    int? Capacity,
    bool Active,
    int TokenVersion = 0);

/// <summary>What a visitor token request needs to know about the tenant behind a site key.</summary>
/// <summary>
/// A tenant's widget site: its identity secret, and the one before the last rotation while it still verifies
/// (<paramref name="PreviousUntil"/>).
/// </summary>
/// <param name="RequireExpiringIdentity">Identity signatures must carry identifierExpires: one without an expiry is refused.</param>
public sealed record VisitorSite(string TenantId, string IdentitySecret, string? PreviousIdentitySecret = null, DateTimeOffset? PreviousUntil = null,
    bool RequireExpiringIdentity = false)
{
    /// <summary>The secrets that verify an identifierHash at <paramref name="now"/>: the current one, then the previous during its overlap.</summary>
    public IEnumerable<string> SecretsAt(DateTimeOffset now)
    {
        yield return IdentitySecret;
        if (PreviousIdentitySecret is not null && PreviousUntil > now) yield return PreviousIdentitySecret;
    }
}
