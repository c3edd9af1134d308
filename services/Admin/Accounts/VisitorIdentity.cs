using System.Security.Cryptography;
using System.Text;

namespace CustomerService.Admin.Accounts;

/// <summary>
/// Who a visitor is. Anonymous visitors carry a random id the widget keeps (<c>v-</c> and 32 hex digits).
/// Identified visitors are people the tenant's own backend vouches for: it sends the widget
/// hex(HMAC-SHA256(tenant identity secret, <see cref="SignedText"/>)), and their id is derived from the identifier
/// (<c>u-</c> and 32 hex digits), the same on every device. The prefixes keep the two apart, so an anonymous
/// visitor can never claim an identified visitor's id.
/// </summary>
public static class VisitorIdentity
{
    public const int MaxIdentifierLength = 256;
    private const string AnonymousPrefix = "v-";
    private const string IdentifiedPrefix = "u-";
    private const int IdHexDigits = 32;

    public static string NewAnonymousId() => AnonymousPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdHexDigits / 2));

    public static bool IsAnonymousId(string? visitorId)
    {
        if (visitorId is not { Length: 2 + IdHexDigits } || !visitorId.StartsWith(AnonymousPrefix, StringComparison.Ordinal)) return false;
        foreach (var c in visitorId.AsSpan(2))
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }

    public static string IdentifiedId(string identifier) =>
        IdentifiedPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identifier)).AsSpan(0, IdHexDigits / 2));

    /// <summary>The longest an expiring identity signature may be valid for (<see cref="SignedText"/>).</summary>
    public static readonly TimeSpan LongestSignatureLifetime = TimeSpan.FromDays(30);

    /// <summary>
    /// What the tenant's backend signs: the identifier alone (a signature that never expires: kept for backends
    /// written before expiry), or the identifier, a line feed and the Unix time in seconds until which the signature
    /// holds. Identifiers carry no control characters, so the two forms never sign the same text.
    /// </summary>
    public static string SignedText(string identifier, long? expiresUnixSeconds) =>
        expiresUnixSeconds is { } expires ? $"{identifier}\n{expires}" : identifier;

    public static bool HasControlCharacters(string identifier) => identifier.Any(char.IsControl);

    /// <summary>Whether <paramref name="identifierHash"/> is a signature of <paramref name="signedText"/> by one of the secrets (constant-time each).</summary>
    public static bool IsSignedByTenant(IEnumerable<string> identitySecrets, string signedText, string? identifierHash)
    {
        if (identifierHash is not { Length: SHA256.HashSizeInBytes * 2 }) return false;
        Span<byte> claimed = stackalloc byte[SHA256.HashSizeInBytes];
        if (Convert.FromHexString(identifierHash, claimed, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != claimed.Length) return false;
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        bool signed = false;
        foreach (var secret in identitySecrets)
        {
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signedText), expected);
            signed |= CryptographicOperations.FixedTimeEquals(expected, claimed);
        }
        return signed;
    }

    /// <summary>A new identity secret: 32 random bytes, hex.</summary>
    public static string NewIdentitySecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>What agents see until the visitor tells a name.</summary>
    public static string DefaultName(string visitorId) => "Visitor " + visitorId.AsSpan(2, 6).ToString();
}
