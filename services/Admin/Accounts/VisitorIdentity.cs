using System.Security.Cryptography;
using System.Text;

namespace CustomerService.Admin.Accounts;

/// <summary>
/// Who a visitor is. Anonymous visitors carry a random id the widget keeps (<c>v-</c> and 32 hex digits).
/// Identified visitors are people the tenant's own backend vouches for: it sends the widget
/// hex(HMAC-SHA256(tenant identity secret, identifier)), and their id is derived from the identifier
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

    /// <summary>Whether <paramref name="identifierHash"/> is the tenant's signature of the identifier (constant-time).</summary>
    public static bool IsSignedByTenant(string identitySecret, string identifier, string? identifierHash)
    {
        if (identifierHash is not { Length: SHA256.HashSizeInBytes * 2 }) return false;
        Span<byte> claimed = stackalloc byte[SHA256.HashSizeInBytes];
        if (Convert.FromHexString(identifierHash, claimed, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != claimed.Length) return false;
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(identitySecret), Encoding.UTF8.GetBytes(identifier), expected);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }

    /// <summary>What agents see until the visitor tells a name.</summary>
    public static string DefaultName(string visitorId) => "Visitor " + visitorId.AsSpan(2, 6).ToString();
}
