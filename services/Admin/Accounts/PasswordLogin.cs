using Microsoft.AspNetCore.Identity;

namespace CustomerService.Admin.Accounts;

/// <summary>Checks a login and password against the stored PasswordHasher hash.</summary>
public sealed class PasswordLogin(AccountStore store, IPasswordHasher<Account> hasher)
{
    // Verifying against a throwaway hash when the login is unknown makes "no such login" take as long as
    // "wrong password", so response times do not reveal which logins exist.
    private readonly Lazy<string> _decoyHash = new(() => hasher.HashPassword(Decoy, Guid.NewGuid().ToString()));
    private static readonly Account Decoy = new(Guid.Empty, "", "", "", "", "", [], null, false);

    /// <summary>
    /// The account, or null when the login is unknown, ambiguous without a tenant, inactive or the password is
    /// wrong: callers answer all of these alike.
    /// </summary>
    public async Task<Account?> AuthenticateAsync(string? tenant, string login, string password, CancellationToken cancellationToken)
    {
        var candidates = await store.FindByLoginAsync(tenant, login, cancellationToken);
        if (candidates.Count != 1)
        {
            hasher.VerifyHashedPassword(Decoy, _decoyHash.Value, password);
            return null;
        }

        var account = candidates[0];
        var result = hasher.VerifyHashedPassword(account, account.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed || !account.Active) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
            await store.UpdatePasswordHashAsync(account.Id, hasher.HashPassword(account, password), cancellationToken);
        return account;
    }
}
