using System.Security.Cryptography;
using System.Text;

namespace CustomerService.Admin.Accounts;

/// <summary>
/// Who a visitor is. Anonymous visitors carry a random secret the widget keeps (<c>vs-</c> and 64 hex digits) and
/// are known by an id derived from it (<c>v-</c> and 32 hex digits): agents, history and webhooks see the id, and
/// knowing it does not make anyone that visitor, since only the secret does.
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

    private const string SecretPrefix = "vs-";
    private const int SecretHexDigits = 64;

    /// <summary>A new anonymous visitor's secret: 256 random bits, which the widget keeps and sends again.</summary>
    public static string NewVisitorSecret() => SecretPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretHexDigits / 2));

    public static bool IsVisitorSecret(string? secret) =>
        secret is { Length: 3 + SecretHexDigits } && secret.StartsWith(SecretPrefix, StringComparison.Ordinal) && IsLowerHex(secret.AsSpan(3));

    /// <summary>
    /// The id of the anonymous visitor who holds <paramref name="secret"/> at <paramref name="tenantId"/>: a one-way
    /// hash, so the id shown to staff and other systems gives nobody the secret back.
    /// </summary>
    public static string AnonymousIdOf(string tenantId, string secret) =>
        AnonymousPrefix + Convert.ToHexStringLower(
            SHA256.HashData(Encoding.UTF8.GetBytes($"cs-anonymous-visitor\n{tenantId}\n{secret}")).AsSpan(0, IdHexDigits / 2));

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
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
